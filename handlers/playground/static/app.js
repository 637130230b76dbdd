// The playground page: polls for changes, posts what a person does, shows forms in a dialog.
"use strict";
const params = new URLSearchParams(location.search);
const state = {
  as: params.get("as") || "UANA",
  pane: params.get("pane") || "CGENERAL",
  thread: null,
  version: -1,
  filters: { c: "", o: "", s: "", d: "", p: "0" },
};
const $ = (id) => document.getElementById(id);

async function call(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ as: state.as, place: chatPane(), ...body }),
  });
  return response.json();
}

function chatPane() {
  if (state.pane === "DM") return "D" + state.as;
  return state.pane === "LOG" ? "CGENERAL" : state.pane;
}

function answered(said) {
  if (said.form) openDialog(said.form);
  else if (said.show) openDialog(said.show);
  refresh();
}

function openDialog(html) {
  $("dialog-body").innerHTML = html;
  if (!$("dialog").open) $("dialog").showModal();
}

function closeDialog() {
  if ($("dialog").open) $("dialog").close();
}

async function refresh() {
  const url = new URL(location.href);
  url.searchParams.set("as", state.as);
  url.searchParams.set("pane", state.pane);
  history.replaceState(null, "", url);
  $("person").value = state.as;
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.pane === state.pane));
  const onLog = state.pane === "LOG";
  $("messages").hidden = onLog;
  $("composer").hidden = onLog || state.pane === "DM";
  $("log").hidden = !onLog;
  $("pane-title").textContent = onLog ? "Decision log" : state.pane === "DM" ? "Narrative · direct messages" : "# " + (state.pane === "CPRICING" ? "pricing" : "general");
  $("text").placeholder = "Message " + $("pane-title").textContent.replace("# ", "#") + ", or a command like /decide help";
  const query = new URLSearchParams({ as: state.as, pane: chatPane(), thread: state.thread || "" });
  const seen = await (await fetch("/api/state?" + query)).json();
  state.version = Math.max(state.version, seen.v);
  $("clock").textContent = seen.clock;
  $("next-timer").title = seen.next ? "Next timer: " + seen.next : "No timer is waiting";
  if (!onLog) {
    // Like a chat: stay at the newest message, unless the person scrolled up to read.
    const box = $("messages");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40 || state.shown !== chatPane();
    box.innerHTML = seen.main;
    if (atBottom) box.scrollTop = box.scrollHeight;
    state.shown = chatPane();
  }
  $("notices").innerHTML = seen.notices;
  $("thread-pane").hidden = !state.thread || !seen.thread;
  $("thread").innerHTML = seen.thread;
  $("thread").scrollTop = $("thread").scrollHeight;
  if (onLog) {
    const log = await (await fetch("/api/log?" + new URLSearchParams({ as: state.as, ...state.filters }))).json();
    $("log").innerHTML = log.html;
  }
  document.body.dataset.version = String(seen.v);
}

async function poll() {
  try {
    const { v } = await (await fetch("/api/version")).json();
    if (v !== state.version) {
      state.version = v;
      await refresh();
    }
  } catch (_) { /* the server restarted or stopped; try again */ }
  setTimeout(poll, 700);
}

document.addEventListener("click", async (event) => {
  const target = event.target.closest("[data-act],[data-pane],[data-clock],[data-thread],[data-close]");
  if (!target) return;
  event.preventDefault();
  if (target.dataset.close) return closeDialog();
  if (target.dataset.pane) {
    state.pane = target.dataset.pane;
    state.thread = null;
    return refresh();
  }
  if (target.dataset.thread) {
    state.thread = target.dataset.thread;
    return refresh();
  }
  if (target.dataset.clock) {
    await call("/api/clock", { by: target.dataset.clock });
    return refresh();
  }
  const act = target.dataset.act;
  if (act === "home_page") {
    state.filters.p = target.dataset.arg;
    return refresh();
  }
  const message = target.closest("[data-msg]");
  const extra = { ...target.dataset };
  const body = { ...extra, msg: message ? message.dataset.msg : null, place: message && message.closest("#thread") ? chatPane() : chatPane() };
  if (act === "home_export") Object.assign(body, state.filters);
  answered(await call("/api/action", body));
});

document.addEventListener("change", (event) => {
  const filters = event.target.closest("form[data-filters]");
  if (!filters) return;
  const data = new FormData(filters);
  state.filters = { c: data.get("c") || "", o: data.get("o") || "", s: data.get("s") || "", d: data.get("d") || "", p: "0" };
  refresh();
});

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form.pg-form");
  if (!form) return;
  event.preventDefault();
  const fields = {};
  for (const [name, value] of new FormData(form).entries()) {
    if (name === "readers") (fields[name] = fields[name] || []).push(value);
    else fields[name] = value;
  }
  const said = await call("/api/form", { form: form.dataset.form, arg: form.dataset.arg, fields });
  form.querySelectorAll(".err").forEach((p) => (p.textContent = ""));
  const errors = Object.entries(said.errors || {});
  for (const [name, message] of errors) {
    const slot = form.querySelector(`.err[data-for="${CSS.escape(name)}"]`) || form.querySelector('.err[data-for="_"]');
    slot.textContent = message;
  }
  if (errors.length) return;
  if (said.form || said.show) return answered(said);
  closeDialog();
  refresh();
});

async function sendFrom(input, thread) {
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  answered(await call("/api/send", { text, thread }));
}

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  sendFrom($("text"), null);
});
$("thread-composer").addEventListener("submit", (event) => {
  event.preventDefault();
  sendFrom($("thread-text"), state.thread);
});
$("close-thread").addEventListener("click", () => { state.thread = null; refresh(); });
$("dialog-close").addEventListener("click", closeDialog);
$("person").addEventListener("change", () => {
  state.as = $("person").value;
  state.thread = null;
  refresh();
});

refresh().then(poll);
