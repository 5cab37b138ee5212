// The procesbegeleider of Haarlem plans a trajectory through the guided step plan (with a
// date mistake that is explained and kept), asks the participatiegids for advice, publishes,
// processes the last open reaction of a running trajectory, closes it and opens the final
// report. Keyboard only.
export const title = "Civil servant plans, publishes, processes reactions, closes and reports";

function day(offset) {
  const d = new Date(Date.now() + offset * 86_400_000);
  const p = (n) => String(n).padStart(2, "0");
  return `${p(d.getDate())}-${p(d.getMonth() + 1)}-${d.getFullYear()}`;
}

/** Tab to the first radio of a group, then move with the arrow keys to `target`. */
async function pick(v, first, target, nth = 0) {
  await v.tabTo({ role: "radio", name: first, nth });
  const want = { role: "radio", name: target, nth: first === target ? nth : undefined };
  if (first === target) {
    await v.page.keyboard.press("Space");
  } else {
    for (let i = 0; i < 10 && !(await v.isFocused(want)); i++) await v.page.keyboard.press("ArrowDown");
  }
  const loc = v.locate(want).nth(want.nth ?? 0);
  if (!(await loc.isChecked())) throw new Error(`could not choose "${target}"`);
}

export default async function (t) {
  const v = await t.visitor("procesbegeleider");
  await v.open("/haarlem/inloggen");
  await v.fill("E-mailadres", "procesbegeleider@haarlem.demo", { nth: 0 });
  await v.fill("Wachtwoord", "meedoen-demo");
  await v.submit("Inloggen");
  await v.follow("Trajecten beheren");
  await v.follow("Nieuw traject");

  // Step 1: goal and subject.
  await v.fill("Titel", "Veilig naar school in Schalkwijk");
  await v.fill("Korte samenvatting", "Samen met ouders en kinderen maken we de routes naar school veiliger.");
  await v.fill("Doel", "Minder gevaarlijke oversteken op de routes naar de drie basisscholen.");
  await v.submit("Opslaan en verder");
  await v.expectText("Stap 2");
  // Step 2 to 4.
  await v.fill("Ruimte voor invloed", "De plek van oversteken, drempels en schoolzones.");
  await v.fill("Vaste kaders", "Budget 300.000 euro; de busroute blijft.");
  await v.submit("Opslaan en verder");
  await v.fill("Doelgroepen", "Ouders, kinderen, leerkrachten, omwonenden.");
  await v.submit("Opslaan en verder");
  await v.fill("Wie beslist", "Het college");
  await v.fill("Contactpersoon", "participatie@haarlem.demo");
  await v.submit("Opslaan en verder");

  // Step 5: ask the participatiegids.
  await v.follow("Weet u het niet zeker? Gebruik de participatiegids.");
  await pick(v, "Niets: het besluit ligt vast, we informeren", "Er is ruimte binnen vaste kaders");
  await pick(v, "Klein", "Groot");
  await pick(v, "Een paar straten", "Een wijk");
  await pick(v, "Nee", "Ja, veel");
  await pick(v, "Nee", "Nee", 1);
  await pick(v, "Een paar weken", "Een paar maanden");
  await v.check("Jongeren");
  await v.submit("Toon advies");
  await v.expectText("Geadviseerd niveau: 3. Adviseren", "Jongeren: via school");
  await v.submit("Dit niveau gebruiken voor het traject");
  await v.expectText("Het advies van de participatiegids is overgenomen.");
  await v.submit("Opslaan en verder");

  // Step 6: a date mistake is explained and what was typed stays.
  await v.fill("Naam van de fase", "Routes in kaart brengen", { nth: 0 });
  await v.fill("Begindatum", day(10), { nth: 0 });
  await v.fill("Einddatum", day(1), { nth: 0 });
  await v.submit("Opslaan en verder");
  await v.expectText("De einddatum ligt vóór de begindatum.");
  await v.fill("Einddatum", day(40), { nth: 0 });
  await v.submit("Opslaan en verder");
  // Step 7.
  await v.fill("Naam van de activiteit", "Schoolroute-wandeling met ouders", { nth: 0 });
  await v.tabTo({ label: "Vorm", nth: 0 });
  await v.page.keyboard.type("Wijkwandeling");
  await v.fill("Datum", day(14), { nth: 0, exact: false });
  await v.submit("Opslaan en verder");
  // Step 8.
  await v.fill("Wat gebeurt er met de uitkomsten", "We kiezen samen de vijf gevaarlijkste punten en pakken die aan.");
  await v.fill("Terugkoppeling aan deelnemers", "Iedereen krijgt een e-mail met de gekozen maatregelen.");
  await v.fill("Uiterste datum van terugkoppeling", day(80));
  await v.submit("Opslaan en verder");
  await v.expectText("Alles is ingevuld");
  await v.submit("Traject publiceren");
  await v.expectText("Het traject is gepubliceerd.", "Veilig naar school in Schalkwijk", "Routes in kaart brengen");

  // Process the last open reaction of a trajectory whose reactions are being processed.
  await v.follow("Trajecten beheren");
  await v.follow("Parkeren in de binnenstad");
  await v.follow({ role: "link", name: /^Reacties verwerken/ });
  await v.expectText("Meer fietsparkeerplekken bij de Grote Markt.");
  const form = v.page.locator("article", { hasText: "Meer fietsparkeerplekken" });
  const reactionId = (await form.getAttribute("id")).replace("reactie-", "");
  await pick(v, "overgenomen", "overgenomen", 3);
  await v.fill("Uitleg voor de inwoner", "Er komen 200 extra plekken in de stalling onder de markt.", { nth: 3 });
  await v.submit(new RegExp(`^Verwerking opslaan`), { nth: 3 });
  await v.expectText("De verwerking is opgeslagen.");
  if (!reactionId) throw new Error("reaction id missing");

  // Close with a conclusion; the final report follows.
  await v.follow("Traject afsluiten");
  await v.fill("Conclusie", "De venstertijden en de extra fietsplekken gaan door; de buurtgarage wordt onderzocht.");
  await v.fill("Evaluatie: wat hebben we geleerd?", "Ondernemers vroegen om een avondbijeenkomst.", { exact: false });
  await v.submit("Afsluiten en verslag maken");
  await v.expectText("Eindverslag", "Er komen 200 extra plekken", "De venstertijden en de extra fietsplekken gaan door");
  await v.follow("Terug naar het traject");
  await v.follow("Participatieverslag Omgevingswet");
  await v.expectText("Heeft participatie plaatsgevonden?", "Enquête onder bewoners");
  const pdf = await v.page.request.get(`${t.base}/haarlem/trajecten/${new URL(v.page.url()).pathname.split("/")[3]}/eindverslag.pdf`);
  if (pdf.status() !== 200 || (await pdf.body()).subarray(0, 5).toString() !== "%PDF-") {
    throw new Error(`the PDF report did not come back (${pdf.status()})`);
  }
}
