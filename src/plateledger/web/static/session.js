// The header's "signed in as" and sign-out, on every page.
import { api, forgetToken, token } from "./api.js";

async function showUser() {
  const signIn = document.getElementById("sign-in");
  const signedIn = document.getElementById("signed-in");
  if (!signIn || !signedIn || !token()) return;
  try {
    const me = await api("/v1/me");
    document.getElementById("who-name").textContent = `${me.username} (${me.agency_name})`;
    signIn.hidden = true;
    signedIn.hidden = false;
    document.dispatchEvent(new CustomEvent("plateledger:user", { detail: me }));
  } catch {
    forgetToken();
  }
}

async function signOut() {
  try {
    await api("/v1/auth/logout", { method: "POST" });
  } catch {
    // the token is forgotten here whatever the server says
  }
  forgetToken();
  window.location.assign("/");
}

document.getElementById("sign-out")?.addEventListener("click", signOut);
showUser();
