// A resident who got a letter finds the running citizens' assembly from the home page,
// registers with the personal code from the letter (a mistake first), and withdraws with
// the link from the confirmation. Keyboard only.
export const title = "Resident registers for a citizens' assembly with the code from the letter, then withdraws";

// Invitation 3 of the running demo assembly (README, demo table).
const CODE = "S2CD-CD6B-DWT9";

/** Tab to the first radio of a group, then move with the arrow keys to `target`. */
async function pick(v, first, target) {
  await v.tabTo({ role: "radio", name: first });
  const want = { role: "radio", name: target };
  if (first === target) await v.page.keyboard.press("Space");
  for (let i = 0; i < 10 && !(await v.isFocused(want)); i++) await v.page.keyboard.press("ArrowDown");
  if (!(await v.locate(want).isChecked())) throw new Error(`could not choose "${target}"`);
}

export default async function (t) {
  const r = await t.visitor("resident");
  await r.open("/haarlem");
  await r.follow("Burgerberaad Groen en veilig plein");
  await r.expectText("Aanmelden kan nu");
  await r.follow("Aanmelden");

  // Without anything filled in: every missing answer is named.
  await r.submit("Aanmelden");
  await r.expectText("Er gaat iets mis", "Zonder toestemming");
  // A wrong code.
  await r.fill("Uw persoonlijke code", "ABCD-EFGH-JKMN");
  await r.submit("Aanmelden");
  await r.expectText("Deze code kennen we niet");

  await r.fill("Uw persoonlijke code", CODE);
  await pick(r, "Vrouw", "Vrouw");
  await pick(r, "16 tot en met 24 jaar", "25 tot en met 44 jaar");
  await pick(r, "Basisschool, vmbo of mbo 1", "Hbo of universiteit");
  await r.check("Ik kan bij de bijeenkomsten zijn", true, { exact: false });
  await r.fill("Naam", "Fatima Visser");
  await r.fill("E-mailadres", "fatima.visser@voorbeeld.nl");
  await r.check("Ik geef toestemming om mijn gegevens hiervoor te gebruiken");
  await r.submit("Aanmelden");
  await r.expectText("U bent aangemeld", "Burgerberaad Groen en veilig plein");

  await r.follow("Toch niet meedoen? Meld u hier af");
  await r.expectText("Weet u zeker dat u zich wilt afmelden?");
  await r.submit("Afmelden");
  await r.expectText("U bent afgemeld");
}
