// The result table both pages fill; the test reads window.report and body[data-state].
"use strict";
window.report = { steps: [], done: false, passed: false };

function check(step, want, got, passed) {
  window.report.steps.push({ step, want: String(want), got: String(got), passed: Boolean(passed) });
  const row = document.createElement("tr");
  for (const [text, cls] of [[passed ? "✔" : "✘", passed ? "ok" : "bad"], [step], [want], [got]]) {
    const cell = document.createElement("td");
    cell.textContent = String(text);
    if (cls) cell.className = cls;
    row.appendChild(cell);
  }
  document.getElementById("steps").appendChild(row);
  return Boolean(passed);
}

function finish(error) {
  if (error) check("no exception", "none", `${error.name}: ${error.message}`, false);
  const passed = window.report.steps.length > 0 && window.report.steps.every((s) => s.passed);
  Object.assign(window.report, { done: true, passed });
  document.body.dataset.state = passed ? "passed" : "failed";
  const failed = window.report.steps.filter((s) => !s.passed).length;
  document.getElementById("verdict").textContent = passed
    ? `PASSED: ${window.report.steps.length} checks`
    : `FAILED: ${failed} of ${window.report.steps.length} checks`;
}

// fetch with a deadline, so a server that never answers fails a step instead of hanging the page.
const DEADLINE_MS = 15000;
async function timedFetch(url, init = {}) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(DEADLINE_MS) });
}

// Resolves to "blocked: <error>" when the browser refuses the page a response, else "readable: <status>".
async function outcome(url, init) {
  try {
    const response = await timedFetch(url, init);
    return `readable: ${response.status}`;
  } catch (error) {
    return `blocked: ${error.name}`;
  }
}
