// A resident posts an abusive reaction; the moderator hides it with a public reason, keyboard
// only; the public page shows the placeholder with the reason, the author sees it under
// "Mijn reacties"; the moderator shows it again.
import { loginWithPassword } from "../lib/login.mjs";

export const title = "Moderator hides a reaction with a reason and shows it again";

const PLAN = "Een groener en veiliger plein";
const ABUSE = "Wie dit bedacht heeft is een complete idioot.";
const REASON = "Beledigend: in strijd met spelregel 2 (respect).";

export default async function (t) {
  const resident = await t.visitor("resident");
  await loginWithPassword(resident, "inwoner2@haarlem.demo");
  await resident.open("/haarlem/trajecten");
  await resident.follow(PLAN);
  await resident.fill("Uw reactie", ABUSE);
  await resident.submit("Reactie versturen");
  await resident.expectText("Bedankt voor uw reactie", ABUSE);

  const moderator = await t.visitor("moderator");
  await loginWithPassword(moderator, "moderator@haarlem.demo");
  await moderator.follow("Moderatie");
  await moderator.expectText("Moderatie van reacties", ABUSE);
  // The newest reaction is first: without a reason nothing happens.
  await moderator.submit("Verbergen", { exact: false, nth: 0 });
  await moderator.expectText("Vul dit veld in.");
  await moderator.fill("Reden om te verbergen", REASON);
  await moderator.submit("Verbergen", { exact: false, nth: 0 });
  await moderator.expectText("De reactie is verborgen", REASON);

  const anon = await t.visitor("anonymous");
  await anon.open("/haarlem/trajecten");
  await anon.follow(PLAN);
  await anon.expectText("Deze reactie is verborgen door de moderatie.", REASON);
  await anon.expectNoText(ABUSE);

  await resident.open("/haarlem/mijn-reacties");
  await resident.expectText("Uw reactie is verborgen door de moderatie.", REASON);

  await moderator.follow("Alleen verborgen reacties tonen");
  await moderator.submit("Weer tonen", { exact: false, nth: 0 });
  await moderator.expectText("De reactie is weer zichtbaar.");
}
