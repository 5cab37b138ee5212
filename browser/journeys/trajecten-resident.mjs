// A resident of Haarlem finds a running trajectory in the list (filtered by stage), reads
// it, logs in from the page, reacts, and sees what the municipality did with an earlier
// reaction of hers. Keyboard only.
export const title = "Resident finds a trajectory, reacts and sees the response";

export default async function (t) {
  const v = await t.visitor("inwoner");
  await v.open("/haarlem");
  await v.follow("Plannen en projecten");
  await v.tabTo({ label: "Fase" });
  await v.page.keyboard.type("Nu bezig");
  await v.submit("Toon plannen");
  await v.expectText("Een groener en veiliger plein");
  await v.expectNoText("Woningbouw op het oude sportpark");
  await v.follow("Een groener en veiliger plein");
  await v.expectText("Waarover kunt u meepraten?", "Ideeën ophalen", "Inloopavond in het buurthuis");

  await v.follow("Inloggen om te reageren");
  await v.fill("E-mailadres", "inwoner@haarlem.demo", { nth: 0 });
  await v.fill("Wachtwoord", "meedoen-demo");
  await v.submit("Inloggen");
  await v.expectText("Reageer op dit plan");

  // An empty reaction is explained; then a real one.
  await v.submit("Reactie versturen");
  await v.expectText("Vul dit veld in.");
  await v.fill("Uw reactie", "Graag een watertappunt bij de speelplek.");
  await v.submit("Reactie versturen");
  await v.expectText("Bedankt voor uw reactie", "Graag een watertappunt bij de speelplek.");

  // Her earlier reaction was processed: she sees the answer.
  await v.expectText("Goed idee. In het ontwerp komen zes extra bankjes");
}
