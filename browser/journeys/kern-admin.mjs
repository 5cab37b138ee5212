// The administrator of Haarlem adds a colleague and gives a role, edits the
// participation ladder, tries an unreadable house style colour and fixes it, and reads
// the audit log and the outbox. Keyboard only.
import { loginWithPassword } from "../lib/login.mjs";

export const title = "Administrator manages users and roles, ladder, theme; reads audit log and outbox";

export default async function (t) {
  const v = await t.visitor("administrator");
  await loginWithPassword(v, "beheerder@haarlem.demo");
  await v.follow("Beheer");
  await v.expectPath("/haarlem/beheer");

  // A new colleague; first without a role (refused, input kept), then with one.
  await v.follow("Gebruikers en rollen");
  await v.fill("E-mailadres", "sanne.stad@haarlem.example");
  await v.fill("Naam", "Sanne Stad");
  await v.submit("Toevoegen en uitnodigen");
  await v.expectText("Kies minstens één rol.");
  const focusAfterError = await v.focused();
  if (!focusAfterError.includes("foutmeldingen")) {
    throw new Error(`focus did not move to the error summary but to ${focusAfterError}`);
  }
  await v.check("Procesbegeleider");
  await v.submit("Toevoegen en uitnodigen");
  await v.expectText("Opgeslagen.", "Sanne Stad");

  // Give her a second role on her own page.
  await v.follow("Sanne Stad");
  await v.check("Moderator");
  await v.submit("Opslaan");
  await v.expectText("Opgeslagen.");
  const moderator = await v.page.getByRole("checkbox", { name: "Moderator", exact: true }).isChecked();
  if (!moderator) throw new Error("the role was not saved");

  // The participation ladder: rename the first step.
  await v.follow("Beheer", { backwards: true });
  await v.follow("Participatieladder");
  await v.fill("Naam 1", "Weten wat er speelt");
  await v.submit("Opslaan");
  await v.expectText("Opgeslagen.");
  // Or take a known ladder.
  await v.choose("Informeren, consulteren, dialoog, co-creatie, faciliteren (Amsterdam)");
  await v.submit("Deze ladder gebruiken");
  await v.expectText("Opgeslagen.");

  // The house style: yellow is unreadable with white text; the page says so.
  await v.follow("Beheer", { backwards: true });
  await v.follow("Huisstijl");
  await v.fill("Hoofdkleur", "#ffdd00");
  await v.submit("Opslaan");
  await v.expectText("De tekst is slecht leesbaar op de hoofdkleur");
  await v.fill("Hoofdkleur", "#00548a");
  await v.submit("Opslaan");
  await v.expectText("Opgeslagen.");

  // Everything is in the audit log.
  await v.follow("Beheer", { backwards: true });
  await v.follow("Logboek");
  await v.expectText("user.roles_granted", "user.role_granted", "ladder.saved", "theme.saved", "Bea Beheer");

  // The invitation is in the outbox.
  await v.follow("Beheer", { backwards: true });
  await v.follow("Verstuurde e-mail");
  await v.expectText("Aan sanne.stad@haarlem.example", "U heeft een rol bij Meedoen Haarlem");
}
