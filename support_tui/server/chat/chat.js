// The customer chat: open a conversation (demo customers, or a token), show its messages live, send new ones.
// Every text that comes from the server or the customer is set with textContent, never as HTML.
// The token is kept in sessionStorage (this tab only, gone when it closes), so a reload keeps the conversation.
"use strict";

const $ = (id) => document.getElementById(id);
const SAVED = "support-tui-chat-token";
let token = "";
let conversationId = "";
let lastId = 0;
const shown = new Set();

function status(text) { $("status").textContent = text; }

function conversationOf(t) {
  // The token's middle part is base64url JSON {"c": conversation id, "e": expiry}; the server checks the signature.
  const part = (t.split(".")[1] || "").replace(/-/g, "+").replace(/_/g, "/");
  try { return String(JSON.parse(atob(part + "===".slice((part.length + 3) % 4))).c || ""); } catch (e) { return ""; }
}

function show(message) {
  if (shown.has(message.id)) return;
  shown.add(message.id);
  lastId = Math.max(lastId, message.id);
  const item = document.createElement("li");
  item.dataset.role = message.role;
  item.dataset.id = String(message.id);
  item.textContent = message.text;
  $("log").appendChild(item);
  item.scrollIntoView({ block: "end" });
  if (message.role === "ai" || message.role === "human") status("");
}

async function api(path, options = {}) {
  const headers = Object.assign({ "Content-Type": "application/json" }, options.headers || {});
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  let body = {};
  try { body = await response.json(); } catch (e) { body = {}; }
  if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
  return body;
}

function saved(value) {
  try {
    if (value === undefined) return sessionStorage.getItem(SAVED) || "";
    if (value) sessionStorage.setItem(SAVED, value); else sessionStorage.removeItem(SAVED);
  } catch (e) { /* storage disabled: the chat still works, a reload starts again */ }
  return "";
}

function expired() {
  status("This chat has expired. Ask for a new link.");
  saved("");
}

const pause = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

async function stream() {
  // Server-Sent Events read with fetch, so the token travels in a header and never in a URL. Every
  // reconnection resumes after the last message shown, so none is skipped or shown twice.
  for (;;) {
    let wait = 1;
    try {
      const response = await fetch(`/api/conversations/${encodeURIComponent(conversationId)}/stream?after=${lastId}`,
        { headers: { Authorization: "Bearer " + token } });
      if (response.status === 401) { expired(); return; }
      if (!response.ok) {
        wait = Math.min(30, Math.max(1, Number(response.headers.get("Retry-After")) || 2));
        status("Reconnecting…");
        throw new Error("HTTP " + response.status);
      }
      if ($("status").textContent === "Reconnecting…") status("");
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end).split("\n");
          buffer = buffer.slice(end + 2);
          const kind = (block.find((l) => l.startsWith("event: ")) || "event: message").slice(7);
          const data = block.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
          if (kind === "expired") { expired(); return; }
          if (kind === "unavailable") { status("Reconnecting…"); wait = 2; }
          if (kind === "message" && data) show(JSON.parse(data));
        }
      }
    } catch (e) { /* the connection dropped: reconnect below */ }
    await pause(wait);
  }
}

async function loadHistory() {
  // Page by page from the first message: a long conversation is shown whole.
  for (;;) {
    const body = await api(`/api/conversations/${encodeURIComponent(conversationId)}/messages?after=${lastId}`);
    body.messages.forEach(show);
    if (!body.more || !body.messages.length) return;
  }
}

async function open(newToken) {
  token = newToken.trim();
  conversationId = conversationOf(token);
  if (!conversationId) { status("That is not a chat token."); token = ""; return false; }
  try {
    await loadHistory();
  } catch (e) { status(e.message); token = ""; return false; }
  saved(token);
  $("start").hidden = true;
  $("chat").hidden = false;
  $("text").focus();
  stream();
  return true;
}

async function send(event) {
  event.preventDefault();
  const text = $("text").value;
  if (!text.trim()) return;
  $("send").disabled = true;
  try {
    await api(`/api/conversations/${encodeURIComponent(conversationId)}/messages`,
      { method: "POST", body: JSON.stringify({ text }) });
    $("text").value = "";
    status("Sent. An answer is on its way…");
  } catch (e) {
    status(e.message);
  } finally {
    $("send").disabled = false;
  }
}

async function start() {
  // Every form is handled by this script before anything is shown: none is ever submitted by the browser
  // (which would put its fields, a token among them, in a URL).
  for (const form of document.querySelectorAll("form")) form.addEventListener("submit", (e) => e.preventDefault());
  $("composer").addEventListener("submit", send);
  $("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
  });
  const fromLink = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromLink) { history.replaceState(null, "", location.pathname); if (await open(fromLink)) return; }
  else if (saved() && await open(saved())) { return; }
  else if (saved()) { saved(""); }
  const demo = await fetch("/api/demo/customers").then((r) => (r.ok ? r.json() : null)).catch(() => null);
  if (demo) {
    for (const customer of demo.customers) {
      const option = document.createElement("option");
      option.value = customer.id;
      option.textContent = `${customer.name} (${customer.id})`;
      $("customer").appendChild(option);
    }
    $("demo").hidden = false;
    $("demo").addEventListener("submit", async () => {
      try {
        const body = await api("/api/demo/conversations",
          { method: "POST", body: JSON.stringify({ customer_id: $("customer").value }) });
        await open(body.token);
      } catch (e) { status(e.message); }
    });
  } else {
    $("token-form").hidden = false;
    $("token-form").addEventListener("submit", () => { open($("token").value); });
  }
}

start();
