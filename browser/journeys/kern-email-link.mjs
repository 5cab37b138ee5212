// A new resident asks for a login link, reads it in the e-mail (the development outbox,
// read by the administrator) and logs in with it. Keyboard only.
import { loginWithPassword } from "../lib/login.mjs";

export const title = "New resident logs in with a link from an e-mail";

export default async function (t) {
  const resident = await t.visitor("resident");
  await resident.open("/haarlem/inloggen");
  // The second e-mail field on the page is the one for the link.
  await resident.fill("E-mailadres", "noor@example.nl", { nth: 1 });
  await resident.fill("Uw naam (niet verplicht)", "Noor Nieuw");
  await resident.submit("Stuur mij een inloglink");
  await resident.expectText("Kijk in uw e-mail", "noor@example.nl");

  // Without an SMTP server the mail waits in the outbox that the administrator reads.
  const admin = await t.visitor("administrator");
  await loginWithPassword(admin, "beheerder@haarlem.demo");
  await admin.follow("Beheer");
  await admin.follow("Verstuurde e-mail");
  await admin.expectText("Aan noor@example.nl");
  const body = await admin.page.locator("pre.mail__body").first().innerText();
  const link = body.match(/https?:\/\/\S+\/haarlem\/inloggen\/link\/\S+/)?.[0];
  if (!link) throw new Error(`no login link in the mail:\n${body}`);

  // The resident opens the link from the mail and confirms with the button.
  await resident.open(link);
  await resident.expectText("Inloggen met uw link");
  await resident.submit("Nu inloggen");
  await resident.expectText("U bent ingelogd.", "Noor Nieuw");
  await resident.follow("Noor Nieuw", { backwards: true });
  await resident.expectText("noor@example.nl");

  // The link works only once.
  const again = await t.visitor("someone else");
  await again.open(link);
  await again.expectText("Deze link werkt niet meer");
}
