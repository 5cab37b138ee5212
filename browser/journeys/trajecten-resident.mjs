// A resident finds a plan in their municipality by theme, logs in to react, reacts; the
// civil servant processes the reaction; the resident sees what was done with it.
// Keyboard only.
import { loginWithPassword } from "../lib/login.mjs";

export const title = "Resident finds a plan, reacts, and sees what the municipality did with it";

const PLAN = "Een groener en veiliger plein";
const REACTION = "Graag bomen die schaduw geven bij de speelplek, en een bankje voor ouderen.";

export default async function (t) {
  const resident = await t.visitor("resident");
  await resident.open("/haarlem");
  await resident.follow("Plannen en projecten");
  await resident.select("Thema", "Groen");
  await resident.submit("Toon plannen");
  await resident.expectText(PLAN);
  await resident.follow(PLAN);

  // Reacting needs an account; the login page brings the resident back here.
  await resident.follow("Inloggen om te reageren");
  await resident.fill("E-mailadres", "inwoner@haarlem.demo", { nth: 0 });
  await resident.fill("Wachtwoord", "meedoen-demo");
  await resident.submit("Inloggen");
  await resident.expectText(PLAN, "Reageer op dit plan");

  // An empty reaction is refused with a message; then the real one.
  await resident.submit("Reactie versturen");
  await resident.expectText("Vul dit veld in.");
  await resident.fill("Uw reactie", REACTION);
  await resident.submit("Reactie versturen");
  await resident.expectText("Bedankt voor uw reactie", REACTION);

  // The civil servant processes it.
  const official = await t.visitor("procesbegeleider");
  await loginWithPassword(official, "procesbegeleider@haarlem.demo");
  await official.follow("Trajecten beheren");
  await official.follow(PLAN, { exact: false });
  await official.follow("Reacties verwerken", { exact: false });
  // Find the resident's reaction among those with a processing form.
  const idx = await official.page.evaluate((text) => {
    const withForm = [...document.querySelectorAll("article.reaction")].filter((a) => a.querySelector("form"));
    return withForm.findIndex((a) => a.innerText.includes(text));
  }, REACTION);
  if (idx < 0) throw new Error("the resident's reaction is not on the processing page");
  // Tab into its radio group (the first option gets focus), the arrows choose.
  await official.tabTo({ role: "radio", name: "overgenomen", nth: idx });
  const partly = official.page.getByRole("radio", { name: "deels overgenomen", exact: true }).nth(idx);
  for (let i = 0; i < 5 && !(await partly.isChecked()); i++) {
    await official.page.keyboard.press("ArrowDown");
  }
  if (!(await partly.isChecked())) throw new Error("could not choose 'deels overgenomen' with the arrow keys");
  await official.fill("Uitleg voor de inwoner", "We planten lindes bij de speelplek. Een bankje past niet binnen het budget.", { nth: idx });
  await official.submit("Verwerking opslaan", { exact: false, nth: idx });
  await official.expectText("De verwerking is opgeslagen");

  // The resident sees the answer, on the plan's page and on "Mijn reacties".
  await resident.open("/haarlem/mijn-reacties");
  await resident.expectText(REACTION, "deels overgenomen", "We planten lindes bij de speelplek");
}
