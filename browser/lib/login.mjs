// Log in with the password form, keyboard only.
export async function loginWithPassword(v, email, password = "meedoen-demo") {
  const domain = email.split("@")[1] || "";
  const tenant = domain.endsWith(".demo") && domain !== "meedoen.demo" ? domain.replace(/\.demo$/, "") : null;
  await v.open(tenant ? `/${tenant}/inloggen` : "/inloggen");
  await v.fill("E-mailadres", email, { nth: 0 });
  await v.fill("Wachtwoord", password);
  await v.submit("Inloggen");
  await v.expectText("U bent ingelogd.");
}
