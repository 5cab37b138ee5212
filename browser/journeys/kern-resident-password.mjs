// A resident finds their municipality, logs in with a password (after one typo), reads
// the map in English and logs out. Keyboard only.
export const title = "Resident logs in with a password, switches to English, logs out";

export default async function (t) {
  const v = await t.visitor("resident");
  await v.open("/");
  await v.expectLang("nl");
  await v.follow("Haarlem");
  await v.expectPath("/haarlem");

  // The skip link is the first stop and moves focus to the content.
  await v.page.keyboard.press("Tab");
  const first = await v.focused();
  if (!first.includes("Naar de inhoud")) throw new Error(`first Tab stop is ${first}, not the skip link`);
  await v.checkFocusVisible();
  await v.page.keyboard.press("Enter");
  const inMain = await v.page.evaluate(() => document.activeElement?.id === "inhoud");
  if (!inMain) throw new Error("the skip link did not move focus to the content");

  await v.follow("Inloggen", { backwards: true });
  await v.expectPath("/haarlem/inloggen");

  // A typo in the password: a clear message, the address is kept.
  await v.fill("E-mailadres", "inwoner@haarlem.demo", { nth: 0 });
  await v.fill("Wachtwoord", "meedoen-dem0");
  await v.submit("Inloggen");
  await v.expectText("Het e-mailadres of het wachtwoord klopt niet");
  const kept = await v.page.getByLabel("E-mailadres", { exact: true }).first().inputValue();
  if (kept !== "inwoner@haarlem.demo") throw new Error(`the address was not kept: "${kept}"`);

  await v.fill("Wachtwoord", "meedoen-demo");
  await v.submit("Inloggen");
  await v.expectPath("/haarlem");
  await v.expectText("U bent ingelogd.", "Ineke Inwoner");

  // English, and the page stays the same.
  await v.follow("Kaart");
  await v.expectPath("/haarlem/kaart");
  await v.follow("English", { backwards: true });
  await v.expectPath("/haarlem/kaart");
  await v.expectLang("en");
  await v.expectText("Skip to content");
  await v.follow("Home");
  await v.expectLang("en");
  await v.follow("Nederlands", { backwards: true });
  await v.expectLang("nl");

  // The account page, then log out.
  await v.follow("Ineke Inwoner", { backwards: true });
  await v.expectPath("/account");
  await v.expectText("inwoner@haarlem.demo");
  await v.submit("Uitloggen", { backwards: true });
  await v.expectText("U bent uitgelogd.");
  await v.expectNoText("Ineke Inwoner");
}
