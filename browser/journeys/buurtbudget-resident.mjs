// A resident submits a plan in the round that is open for plans, a neighbour supports it,
// the resident votes with a demo code in the round that is voting, and checks the receipt.
// Keyboard only.
import { loginWithPassword } from "../lib/login.mjs";

export const title = "Resident submits a plan, gets support, votes with a code and checks the receipt";

const PLAN = "Moestuin op het schoolplein";

export default async function (t) {
  const resident = await t.visitor("resident");
  await resident.open("/haarlem");
  await resident.follow("Buurtbudget", { exact: true });
  await resident.follow("Buurtbudget Haarlem 2027: dien uw plan in");
  await resident.follow("Plan indienen");
  // Submitting needs an account; the login page brings the resident back.
  await resident.fill("E-mailadres", "inwoner@haarlem.demo", { nth: 0 });
  await resident.fill("Wachtwoord", "meedoen-demo");
  await resident.submit("Inloggen");
  await resident.expectText("Naam van uw plan");
  // Missing fields are explained; then the plan.
  await resident.submit("Plan indienen");
  await resident.expectText("Er gaat iets mis", "Kies een wijk of buurt, of vul een postcode in.");
  await resident.fill("Naam van uw plan", PLAN);
  await resident.fill("Beschrijving", "Kinderen kweken groente met hulp van buurtbewoners.");
  await resident.fill("Geschatte kosten in euro's", "12000");
  await resident.fill("Postcode (mag leeg blijven)", "2011 AB");
  await resident.select("Categorie", "groen");
  await resident.submit("Plan indienen");
  await resident.expectText("Uw plan is opgeslagen.", PLAN, "0 van de 1 steunbetuigingen");

  // A neighbour supports it.
  const neighbour = await t.visitor("neighbour");
  await loginWithPassword(neighbour, "inwoner2@haarlem.demo");
  await neighbour.open("/haarlem/buurtbudget");
  await neighbour.follow("Buurtbudget Haarlem 2027: dien uw plan in");
  await neighbour.follow(PLAN);
  await neighbour.submit("Ik steun dit plan");
  await neighbour.expectText("Bedankt, u steunt dit plan.", "1 van de 1 steunbetuigingen");

  // Voting with a code: first over budget, then a valid choice.
  await resident.open("/haarlem/buurtbudget");
  await resident.follow("Buurtbudget Haarlem 2026: stem nu");
  await resident.follow("Stemmen", { exact: true });
  await resident.fill("Uw stemcode", "DEMO-HLEM-STEM-0001");
  await resident.check("Speelplek bij de school opknappen — € 44.000 (spelen)");
  await resident.check("Buurtkamer in het oude wijkgebouw — € 37.000 (ontmoeten)");
  await resident.check("Pannaveldje — € 27.000 (spelen)");
  await resident.expectText("€ 108.000");
  await resident.submit("Stem uitbrengen");
  await resident.expectText("Uw stem is nog niet uitgebracht", "meer dan het budget");
  await resident.check("Pannaveldje — € 27.000 (spelen)", false);
  await resident.fill("Uw stemcode", "DEMO-HLEM-STEM-0001");
  await resident.submit("Stem uitbrengen");
  await resident.expectText("Bedankt voor het stemmen!");
  const receipt = await resident.page.locator("#bonnummer").innerText();

  // Later: the receipt shows the ballot, unchanged.
  await resident.follow("Terug naar het buurtbudget");
  await resident.follow("Uw stembewijs controleren");
  await resident.fill("Stembewijsnummer", receipt);
  await resident.submit("Controleren");
  await resident.expectText("Deze stem is opgeslagen en niet gewijzigd.", "Speelplek bij de school opknappen");
}
