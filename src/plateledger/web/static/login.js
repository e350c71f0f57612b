// Sign in: username, password and one-time code → a bearer token in sessionStorage.
import { api, describe, keepToken } from "./api.js";

const form = document.getElementById("login-form");
const message = document.getElementById("login-message");
const submit = document.getElementById("login-submit");

// Only a path on this server: never an open redirect.
function nextPage() {
  const next = new URLSearchParams(window.location.search).get("next") ?? "";
  return /^\/(?!\/)[\w\-/.?=&%]*$/.test(next) ? next : "/search";
}

function minutes(seconds) {
  const m = Math.max(1, Math.ceil(seconds / 60));
  return m === 1 ? "1 minute" : `${m} minutes`;
}

function seconds(n) {
  return n < 120 ? `${n} seconds` : minutes(n);
}

function show(text, kind) {
  message.textContent = text;
  message.className = `message ${kind}`;
  message.hidden = false;
}

function explain(error) {
  if (error.status === 429) {
    const wait = error.retryAfter ? ` Try again in ${seconds(error.retryAfter)}` : " Try again later";
    return `Too many failed sign-ins from this device.${wait}, or sign in from another device; your agency's administrator has been alerted.`;
  }
  if (error.status === 401) {
    return `Sign-in failed: ${error.message}. Check the username, the password and the one-time code; after repeated failures this device must wait before trying again.`;
  }
  if (error.status === 422) return `Please check the form: ${describe(error)}.`;
  return `Sign-in failed: ${describe(error)}.`;
}

function mark(field, bad) {
  field.setAttribute("aria-invalid", bad ? "true" : "false");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const username = form.username.value.trim();
  const password = form.password.value;
  const totp = form.totp.value.replace(/\s+/g, "");
  mark(form.username, !username);
  mark(form.password, !password);
  if (!username || !password) {
    show("Enter your username and password.", "error");
    (username ? form.password : form.username).focus();
    return;
  }
  submit.disabled = true;
  show("Signing in…", "");
  try {
    const issued = await api("/v1/auth/token", {
      method: "POST", auth: false, body: { username, password, totp: totp || null },
    });
    keepToken(issued.access_token, issued.expires_at);
    show("Signed in.", "");
    window.location.assign(nextPage());
  } catch (error) {
    show(explain(error), "error");
    form.password.value = "";
    form.password.focus();
  } finally {
    submit.disabled = false;
  }
});
