// The draft editor: wording findings are highlighted on their spans while the agent types.
// The server checks the text (same rules as saving); nothing is saved until Save or Send.
(function () {
  "use strict";
  var area = document.getElementById("draft-text");
  if (!area) { return; }
  var backdrop = area.parentElement.querySelector(".backdrop");
  var list = document.getElementById("findings");
  var summary = document.getElementById("findings-summary");
  var form = document.getElementById("draft-form");
  var sequence = 0;
  var timer = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // Offsets from the server count code points; JavaScript strings count UTF-16 units.
  function paint(text, findings) {
    var chars = Array.from(text);
    var sorted = findings.slice().sort(function (a, b) { return a.start - b.start || b.end - a.end; });
    var at = 0;
    var frag = document.createDocumentFragment();
    sorted.forEach(function (f) {
      var start = Math.max(f.start, at), end = Math.min(f.end, chars.length);
      if (end <= start) { return; }
      frag.appendChild(document.createTextNode(chars.slice(at, start).join("")));
      var mark = el("mark", f.severity, chars.slice(start, end).join(""));
      frag.appendChild(mark);
      at = end;
    });
    frag.appendChild(document.createTextNode(chars.slice(at).join("") + "\n"));
    backdrop.replaceChildren(frag);
    backdrop.scrollTop = area.scrollTop;
  }

  function replaceSpan(f, suggestion) {
    var chars = Array.from(area.value);
    area.value = chars.slice(0, f.start).join("") + suggestion + chars.slice(f.end).join("");
    area.dispatchEvent(new Event("input"));
    area.focus();
  }

  function show(findings, counts) {
    list.replaceChildren();
    findings.forEach(function (f) {
      var item = el("li", "finding " + f.severity);
      item.appendChild(el("span", "sev", f.severity));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("q", "", f.text));
      item.appendChild(document.createTextNode(" — " + f.message + " "));
      (f.suggestions || []).forEach(function (s) {
        var button = el("button", "suggestion", "Use “" + s + "”");
        button.type = "button";
        button.addEventListener("click", function () { replaceSpan(f, s); });
        item.appendChild(button);
      });
      list.appendChild(item);
    });
    var notes = findings.length - counts.blocker - counts.warning;
    summary.textContent = findings.length
      ? counts.blocker + " blocker(s), " + counts.warning + " warning(s), " + notes + " note(s)."
      : "No wording findings.";
    if (counts.blocker) {
      summary.textContent += " Blockers stop sending until fixed or approved by compliance.";
    }
    if (form) { form.classList.toggle("has-blockers", counts.blocker > 0); }
    var acknowledge = document.getElementById("acknowledge");
    if (acknowledge) { acknowledge.hidden = counts.warning === 0; }
  }

  function check() {
    var mine = ++sequence;
    var text = area.value;
    fetch(area.dataset.checkUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": area.dataset.csrf },
      body: JSON.stringify({ text: text })
    }).then(function (response) {
      if (!response.ok) { throw new Error("check failed: " + response.status); }
      return response.json();
    }).then(function (data) {
      if (mine !== sequence) { return; }  // a newer check is on its way
      paint(text, data.findings);
      show(data.findings, data.counts);
    }).catch(function () {
      if (mine === sequence) { summary.textContent = "Could not check the wording just now; it is checked again when you save."; }
    });
  }

  area.addEventListener("input", function () {
    paint(area.value, []);
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
  area.addEventListener("scroll", function () { backdrop.scrollTop = area.scrollTop; });
  check();
})();
