// A civil servant sets up a round, checks a plan and puts it on the ballot, makes a help
// desk code, and publishes the result of a finished round with its explanation.
// Keyboard only.
import { loginWithPassword } from "../lib/login.mjs";

export const title = "Civil servant sets up a round, checks plans for the ballot and publishes a result";

export default async function (t) {
  const official = await t.visitor("procesbegeleider");
  await loginWithPassword(official, "procesbegeleider@haarlem.demo");
  await official.follow("Buurtbudget beheren");
  await official.follow("Nieuwe ronde");
  // An empty name is refused; then the round.
  await official.submit("Opslaan");
  await official.expectText("Vul dit veld in.");
  await official.fill("Naam van de ronde", "Buurtbudget Schalkwijk 2027");
  await official.fill("Budget in euro's", "75000");
  // Rule and visibility: Tab lands on the checked radio of each group, an arrow moves on.
  await official.tabTo({ role: "radio", name: "Meeste stemmen eerst (zoals Amsterdam)", exact: true });
  await official.press("ArrowDown");
  await official.tabTo({ role: "radio", name: "Concept (alleen zichtbaar voor medewerkers)", exact: true });
  await official.press("ArrowDown");
  if (!(await official.page.getByRole("radio", { name: "Gelijke delen met aanvulling", exact: true }).isChecked())) {
    throw new Error("could not choose the equal-shares rule with the arrow keys");
  }
  await official.submit("Opslaan");
  await official.expectText("De ronde is opgeslagen.");

  // Check a plan of the round that is open for plans and put it on the ballot.
  await official.open("/haarlem/beheer/buurtbudget");
  await official.follow("Buurtbudget Haarlem 2027: dien uw plan in");
  await official.follow("Plannen toetsen");
  // "Not feasible" without a reason is refused: the page comes back with the message.
  await official.tabTo({ role: "radio", name: "Ja (Geveltuinen in de hele buurt)", exact: true });
  await official.press("ArrowDown");
  await official.submit("Toets opslaan (Geveltuinen in de hele buurt)");
  await official.expectText("Leg uit waarom het plan niet haalbaar is.");
  // The posted choice is kept; an arrow key moves it back to "Ja".
  await official.tabTo({ role: "radio", name: "Nee (Geveltuinen in de hele buurt)", exact: true });
  await official.press("ArrowUp");
  await official.fill("Kosten volgens de gemeente (Geveltuinen in de hele buurt)", "21000");
  await official.check("Op het stembiljet (Geveltuinen in de hele buurt)");
  await official.submit("Toets opslaan (Geveltuinen in de hele buurt)");
  await official.expectText("De toets is opgeslagen.", "Op het stembiljet");

  // A help desk code for a resident who lost their letter.
  await official.open("/haarlem/beheer/buurtbudget");
  await official.follow("Buurtbudget Haarlem 2026: stem nu");
  await official.follow("Stemcodes");
  await official.submit("Nieuwe stemcode maken");
  await official.expectText("Nieuwe stemcode", "niet meer te zien");

  // The past Amsterdam round: recompute and publish, then read the explanation.
  await official.open("/haarlem/beheer/buurtbudget");
  await official.follow("Buurtbudget Rijnbuurt West (Amsterdam, 2022)");
  await official.submit("Uitslag berekenen en publiceren");
  await official.expectText("De uitslag is berekend en gepubliceerd.", "212 mensen stemden", "Gekozen");
  await official.expectText("onafhankelijk gecontroleerd");
}
