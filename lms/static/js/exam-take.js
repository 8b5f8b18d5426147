/* The test-taking page (docs/exams.md, "Test-taking page").
 *
 * Data comes from <script type="application/json" id="exam-data"> (the API's start payload
 * plus saved_seq per slot) and the texts from #exam-i18n. Every change is written to a queue in
 * localStorage with an increasing sequence number, then PUT to the attempt API one slot at a
 * time; failures are retried with exponential backoff and jitter, immediately on "online". The
 * status line always says "Đã lưu", "Đang lưu…" or "Chưa lưu, đang thử lại". The timer counts
 * down to the server's deadline, corrected by the server's clock on every reply. At zero the
 * page flushes the queue and submits. With data-mode="review" the same renderer shows a
 * finished attempt read-only.
 *
 * Sequential navigation (data.navigation "sequential"): one question at a time from the
 * server's position, no way back; "Câu sau" queues POST …/next {slot} after the queued saves.
 * Practice (data.mode "practice"): "Kiểm tra" queues POST …/check/<slot> after the saves and
 * shows right/wrong per part, the correct answer and the feedback, then locks the question.
 */
(function () {
  "use strict";

  var root = document.getElementById("exam-take");
  if (!root) { return; }
  var data = JSON.parse(document.getElementById("exam-data").textContent);
  var T = JSON.parse(document.getElementById("exam-i18n").textContent);
  var urls = JSON.parse(root.dataset.urls);
  var review = root.dataset.mode === "review";
  var sequential = !review && data.navigation === "sequential";
  var practice = !review && data.mode === "practice";
  var questionsBox = document.getElementById("exam-questions");
  var LETTERS = "ABCDEFGHIJ";

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "class") { node.className = attrs[k]; }
      else if (k === "text") { node.textContent = attrs[k]; }
      else if (k === "html") { node.innerHTML = attrs[k]; }  // server-sanitised question HTML
      else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }
  function plainText(html) {
    var box = document.createElement("div");
    box.innerHTML = html;
    return box.textContent.trim();
  }
  /* Question media (/media/<key>) is served to students through their attempt. */
  function fixMedia(node) {
    node.querySelectorAll("img[src], audio[src], source[src], video[src]").forEach(function (m) {
      var src = m.getAttribute("src");
      if (src.indexOf("/media/") === 0) { m.setAttribute("src", urls.media + src.slice(7)); }
    });
    node.querySelectorAll("img").forEach(function (img) { img.classList.add("img-fluid"); });
    return node;
  }
  function html(cls, content) { return fixMedia(el("div", {class: cls, html: content || ""})); }

  function isAnswered(value) {
    if (value === null || value === undefined || value === "") { return false; }
    if (Array.isArray(value)) { return value.some(isAnswered); }
    if (typeof value === "object") {
      return Object.keys(value).some(function (k) { return isAnswered(value[k]); });
    }
    return true;
  }

  /* ------------------------------------------------------------ storage (per attempt) */
  var prefix = "hoclieu.attempt." + data.attempt_id + ".";
  function load(name, fallback) {
    try {
      var raw = window.localStorage.getItem(prefix + name);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) { return fallback; }
  }
  function store(name, value) {
    try { window.localStorage.setItem(prefix + name, JSON.stringify(value)); } catch (e) { /* full */ }
  }
  function forget() {
    ["queue", "seq", "flags", "events", "current", "opened", "next", "checks"].forEach(function (n) {
      try { window.localStorage.removeItem(prefix + n); } catch (e) { /* ignore */ }
    });
  }

  var questions = data.questions || [];
  var answers = data.answers || {};
  var serverAnswers = JSON.parse(JSON.stringify(answers));
  var serverSeq = data.saved_seq || {};
  var queue = review ? {} : load("queue", {});
  var flags = review ? [] : load("flags", []);
  var events = review ? [] : load("events", []);
  var seq = review ? 0 : load("seq", 0);
  var offset = 0;  // server clock − device clock, ms

  /* Merge: a queued local answer wins only if its seq is above the one the server holds. */
  Object.keys(serverSeq).forEach(function (slot) { seq = Math.max(seq, serverSeq[slot]); });
  Object.keys(queue).forEach(function (slot) {
    if (queue[slot].seq > (serverSeq[slot] || 0)) {
      answers[slot] = queue[slot].response;
      seq = Math.max(seq, queue[slot].seq);
    } else {
      delete queue[slot];
    }
  });
  if (!review) { store("queue", queue); store("seq", seq); }

  function nextSeq() {
    seq += 1;
    store("seq", seq);
    return seq;
  }
  function serverNow() { return Date.now() + offset; }
  function syncClock(serverTime, sentAt, receivedAt) {
    var server = Date.parse(serverTime);
    if (!isNaN(server)) { offset = server - (sentAt + receivedAt) / 2; }
  }
  if (data.server_time) { syncClock(data.server_time, Date.now(), Date.now()); }

  /* ------------------------------------------------------------ renderers by type */
  /* Each renderer gets the view, get() → current response, set(response) and a name prefix. */
  var renderers = {};
  var locked = review;

  function choiceList(view, get, set, name, multiple) {
    var box = el("div", {class: "exam-options"});
    view.options.forEach(function (option, i) {
      var input = el("input", {type: multiple ? "checkbox" : "radio", name: name,
                               value: option.id, class: "form-check-input"});
      var label = el("label", {class: "exam-option", "data-part": option.id}, [
        input, el("span", {class: "exam-letter", text: LETTERS[i] || ""}),
        html("exam-option-text", option.text_html)]);
      input.addEventListener("change", function () {
        if (multiple) {
          var chosen = [];
          box.querySelectorAll("input:checked").forEach(function (c) { chosen.push(c.value); });
          set(chosen.length ? {choices: chosen} : null);
        } else {
          set({choice: option.id});
        }
      });
      box.appendChild(label);
    });
    function fill() {
      var r = get() || {};
      box.querySelectorAll("input").forEach(function (c) {
        c.checked = multiple ? (r.choices || []).indexOf(c.value) >= 0 : r.choice === c.value;
      });
    }
    fill();
    return box;
  }
  renderers.single_choice = function (v, g, s, n) { return choiceList(v, g, s, n, false); };
  renderers.multiple_response = function (v, g, s, n) { return choiceList(v, g, s, n, true); };

  function trueFalseRadios(name, current, onPick) {
    var box = el("div", {class: "btn-group exam-tf", role: "group"});
    [true, false].forEach(function (value) {
      var id = name + "-" + value;
      var input = el("input", {type: "radio", class: "btn-check", name: name, id: id,
                               autocomplete: "off"});
      input.checked = current === value;
      input.addEventListener("change", function () { onPick(value); });
      box.appendChild(input);
      box.appendChild(el("label", {class: "btn btn-outline-primary", for: id,
                                   text: value ? T["true"] : T["false"]}));
    });
    return box;
  }
  renderers.true_false = function (view, get, set, name) {
    var r = get() || {};
    return trueFalseRadios(name, r.value, function (value) { set({value: value}); });
  };
  renderers.true_false_4 = function (view, get, set, name) {
    var box = el("div", {class: "exam-statements"});
    view.statements.forEach(function (st, i) {
      var current = ((get() || {}).statements || {})[st.id];
      box.appendChild(el("div", {class: "exam-statement", "data-part": st.id}, [
        el("div", {class: "d-flex gap-2"}, [el("span", {class: "fw-semibold",
          text: "abcd"[i] + ")"}), html("flex-fill", st.text_html)]),
        trueFalseRadios(name + "-" + st.id, current, function (value) {
          var all = Object.assign({}, (get() || {}).statements || {});
          all[st.id] = value;
          set({statements: all});
        })]));
    });
    return box;
  };
  function textInput(get, set, numeric, format2025) {
    var attrs = {type: "text", class: "form-control exam-text", autocomplete: "off",
                 "aria-label": T.answer, placeholder: T.answer};
    if (numeric) { attrs.inputmode = "decimal"; }
    if (format2025) { attrs.maxlength = "4"; attrs.pattern = "[-0-9,.]*"; }
    var input = el("input", attrs);
    input.value = (get() || {}).text || "";
    input.addEventListener("input", function () {
      set(input.value === "" ? null : {text: input.value}, true);
    });
    var box = el("div", {}, [input]);
    if (format2025) { box.appendChild(el("div", {class: "form-text", text: T.numeric_hint})); }
    return box;
  }
  renderers.short_text = function (v, g, s) { return textInput(g, s, false, false); };
  renderers.short_numeric = function (v, g, s) { return textInput(g, s, true, v.format_2025); };
  renderers.essay = function (view, get, set) {
    var area = el("textarea", {class: "form-control", rows: "8", "aria-label": T.answer});
    area.value = (get() || {}).text || "";
    var count = el("div", {class: "form-text"});
    function words() {
      var n = area.value.trim() ? area.value.trim().split(/\s+/).length : 0;
      var limits = [view.min_words, view.max_words].filter(Boolean).join("–");
      count.textContent = fmt(T.words, {n: n}) + (limits ? " (" + limits + ")" : "");
    }
    area.addEventListener("input", function () {
      words();
      set(area.value === "" ? null : {text: area.value}, true);
    });
    words();
    return el("div", {}, [area, count]);
  };
  renderers.matching = function (view, get, set) {
    var box = el("div", {class: "exam-matching"});
    view.left.forEach(function (left) {
      var select = el("select", {class: "form-select", "aria-label": plainText(left.text_html)});
      select.appendChild(el("option", {value: "", text: T.choose}));
      view.right.forEach(function (right) {
        select.appendChild(el("option", {value: right.id, text: plainText(right.text_html)}));
      });
      select.value = ((get() || {}).pairs || {})[left.id] || "";
      select.addEventListener("change", function () {
        var pairs = Object.assign({}, (get() || {}).pairs || {});
        pairs[left.id] = select.value || null;
        set(isAnswered(pairs) ? {pairs: pairs} : null);
      });
      box.appendChild(el("div", {class: "exam-pair", "data-part": left.id}, [html("exam-pair-left", left.text_html),
                                                        select]));
    });
    return box;
  };
  renderers.ordering = function (view, get, set) {
    var byId = {};
    view.items.forEach(function (item) { byId[item.id] = item; });
    var list = el("ol", {class: "exam-order list-group list-group-numbered"});
    var keep = el("button", {type: "button", class: "btn btn-sm btn-outline-primary mt-2",
                             text: T.keep_order});
    function order() { return ((get() || {}).order || view.items.map(function (i) { return i.id; })); }
    function draw() {
      list.textContent = "";
      var current = order();
      current.forEach(function (id, i) {
        var up = el("button", {type: "button", class: "btn btn-sm btn-outline-secondary",
                               "aria-label": T.up, text: "↑"});
        var down = el("button", {type: "button", class: "btn btn-sm btn-outline-secondary",
                                 "aria-label": T.down, text: "↓"});
        up.disabled = locked || i === 0;
        down.disabled = locked || i === current.length - 1;
        up.addEventListener("click", function () { move(i, -1); });
        down.addEventListener("click", function () { move(i, 1); });
        list.appendChild(el("li", {class: "list-group-item d-flex align-items-center gap-2",
                                   "data-part": id}, [
          html("flex-fill", byId[id].text_html), up, down]));
      });
      keep.hidden = locked || isAnswered(get());
    }
    function move(i, by) {
      var current = order().slice();
      var item = current.splice(i, 1)[0];
      current.splice(i + by, 0, item);
      set({order: current});
      draw();
    }
    keep.addEventListener("click", function () { set({order: order()}); draw(); });
    draw();
    return el("div", {}, [el("div", {class: "form-text mb-1", text: T.order_hint}), list, keep]);
  };
  renderers.cloze = function (view, get, set, name) {
    var text = (view.text_html || "").replace(/\[\[([0-9A-Za-z_-]+)\]\]/g,
                                                '<span data-gap="$1"></span>');
    var box = html("exam-cloze", text);
    function update(gapId, value) {
      var gaps = Object.assign({}, (get() || {}).gaps || {});
      gaps[gapId] = value === "" ? null : value;
      set(isAnswered(gaps) ? {gaps: gaps} : null, true);
    }
    (view.gaps || []).forEach(function (gap) {
      var slot = box.querySelector('[data-gap="' + gap.id + '"]');
      if (!slot) { return; }
      slot.setAttribute("data-part", gap.id);
      var current = ((get() || {}).gaps || {})[gap.id] || "";
      var field;
      if (gap.kind === "dropdown") {
        field = el("select", {class: "form-select form-select-sm d-inline-block w-auto"});
        field.appendChild(el("option", {value: "", text: T.choose}));
        gap.options.forEach(function (o) {
          field.appendChild(el("option", {value: o.id, text: o.text}));
        });
        field.addEventListener("change", function () { update(gap.id, field.value); });
      } else {
        field = el("input", {type: "text", class: "form-control form-control-sm d-inline-block exam-gap",
                             autocomplete: "off", "aria-label": T.answer});
        if (gap.kind === "numeric") { field.setAttribute("inputmode", "decimal"); }
        if (gap.format_2025) { field.setAttribute("maxlength", "4"); }
        field.addEventListener("input", function () { update(gap.id, field.value); });
      }
      field.value = current;
      field.name = name + "-" + gap.id;
      slot.appendChild(field);
    });
    box.dataset.stem = "own";  // the text is the question itself: no separate stem
    return box;
  };
  renderers.description = function () { return null; };
  renderers.stimulus = function (view, get, set, name, number) {
    var box = el("div", {class: "exam-stimulus"});
    (view.media || []).forEach(function (m) {
      var src = urls.media + m.key;
      box.appendChild(m.kind === "audio"
        ? el("audio", {controls: "", preload: "none", src: src, class: "w-100 my-2"})
        : el("img", {src: src, alt: "", class: "img-fluid my-2"}));
    });
    var count = view.children.length;
    view.children.forEach(function (child, i) {
      function getChild() { return ((get() || {}).children || [])[i] || null; }
      function setChild(response, typing) {
        var all = ((get() || {}).children || []).slice();
        while (all.length < count) { all.push(null); }
        all[i] = response;
        set(isAnswered(all) ? {children: all} : null, typing);
      }
      box.appendChild(el("div", {class: "exam-child card card-body mb-2", "data-child": String(i)}, [
        el("div", {class: "fw-semibold small mb-1", text: number + "." + (i + 1)}),
        questionBody(child, getChild, setChild, name + "-" + i, number + "." + (i + 1))]));
    });
    return box;
  };

  function questionBody(view, get, set, name, number) {
    var render = renderers[view.type];
    var answerArea = render ? render(view, get, set, name, number) : null;
    var body = el("div", {class: "exam-question-body"});
    if (view.type !== "cloze") { body.appendChild(html("exam-stem mb-2", view.text_html)); }
    if (answerArea) { body.appendChild(answerArea); }
    return body;
  }

  /* ------------------------------------------------------------ questions and palette */
  var sections = [];
  var last = Math.max(questions.length - 1, 0);
  var palette = document.getElementById("exam-palette");
  var status = document.getElementById("save-status");
  var message = document.getElementById("exam-message");

  function numberOf(slot) {
    for (var i = 0; i < questions.length; i++) { if (String(questions[i].slot) === String(slot)) { return i + 1; } }
    return slot;
  }
  function indexOf(slot) {
    for (var i = 0; i < questions.length; i++) { if (String(questions[i].slot) === String(slot)) { return i; } }
    return -1;
  }
  function needsAnswer(q) { return q.type !== "description"; }

  /* Practice: reviews of checked slots, and checks waiting to be sent (after the saves). */
  var checked = practice ? (data.checked || {}) : {};
  var checkQueue = practice ? load("checks", []) : [];
  /* Sequential: the server's position, or further if a "next" is still queued here. */
  var nextQueue = sequential ? load("next", null) : null;
  var position = 0;
  var serverPosition = Math.min(data.position || 0, last);
  if (sequential) {
    position = serverPosition;
    var leaving = nextQueue === null ? -1 : indexOf(nextQueue);
    if (leaving < 0 || leaving + 1 <= position) { nextQueue = null; }
    else { position = Math.min(leaving + 1, last); }
    store("next", nextQueue);
  }
  var current = review ? 0 : sequential ? position
    : Math.min(load("current", 0), last);
  var lockedSlots = {};   // slot → true: checked, being checked, or left behind (sequential)
  var errors = {};        // slot → the last refusal shown on the question
  checkQueue.forEach(function (slot) { lockedSlots[slot] = true; });
  Object.keys(checked).forEach(function (slot) { lockedSlots[slot] = true; });
  questions.forEach(function (q, i) { if (sequential && i < position) { lockedSlots[String(q.slot)] = true; } });
  /* A queued answer the server can no longer take (checked, or before the server's position)
   * is dropped; one left here while a "next" is still queued goes first, as before the reload. */
  Object.keys(queue).forEach(function (slot) {
    var at = indexOf(slot);
    if (checked[slot] || (sequential && at >= 0 && at < serverPosition)) {
      delete queue[slot];
      if (slot in serverAnswers) { answers[slot] = serverAnswers[slot]; } else { delete answers[slot]; }
    }
  });
  if (!review) { store("queue", queue); }

  function buildSection(q, index) {
    var slot = String(q.slot);
    var number = index + 1;
    function get() { return answers[slot] === undefined ? null : answers[slot]; }
    function set(response, typing) { setAnswer(slot, response, typing); }
    var head = el("div", {class: "d-flex justify-content-between align-items-center mb-2"}, [
      el("h2", {class: "h6 mb-0", text: review ? fmt(T.question, {n: number})
                                              : fmt(T.of, {n: number, total: questions.length})})]);
    var section = el("section", {class: "exam-question card card-body mb-2", "data-slot": slot,
                                 "data-number": String(number)}, [head]);
    if (!review && !sequential) {
      var flag = el("button", {type: "button", class: "btn btn-sm btn-outline-secondary exam-flag",
                               "aria-pressed": "false", "data-testid": "flag"});
      flag.addEventListener("click", function () { toggleFlag(slot); });
      head.appendChild(flag);
    }
    section.appendChild(questionBody(q, get, set, "q" + slot, number));
    if (review) { section.appendChild(reviewBlock(slot)); }
    if (practice && needsAnswer(q)) {
      var button = el("button", {type: "button", class: "btn btn-outline-success exam-check",
                                 "data-testid": "check", text: T.check});
      button.addEventListener("click", function () { requestCheck(slot); });
      section.appendChild(el("div", {class: "exam-check-bar mt-2"}, [
        button, el("div", {class: "exam-check-result", "data-testid": "check-result",
                           "aria-live": "polite"})]));
    }
    var problem = el("div", {class: "exam-q-error alert alert-warning small py-1 px-2 mt-2 mb-0",
                             role: "alert", "data-testid": "question-error"});
    problem.hidden = true;
    section.appendChild(problem);
    return section;
  }
  /* Lock, show the check or the refusal of a section from the state above. */
  function decorate(index) {
    var slot = String(questions[index].slot);
    if (lockedSlots[slot]) { disable(sections[index]); }
    if (checked[slot]) { renderCheck(slot); }
    else if (checkQueue.indexOf(slot) >= 0) { checkBusy(slot, true); }
    showError(slot, errors[slot] || "");
  }
  function disable(section) {
    section.querySelectorAll(".exam-question-body input, .exam-question-body select, " +
                             ".exam-question-body textarea, .exam-question-body button, " +
                             ".exam-check").forEach(function (c) { c.disabled = true; });
    section.classList.add("exam-locked");
  }
  function rebuild(slot) {
    var i = indexOf(slot);
    if (i < 0) { return; }
    var fresh = buildSection(questions[i], i);
    fresh.hidden = sections[i].hidden;
    questionsBox.replaceChild(fresh, sections[i]);
    sections[i] = fresh;
    decorate(i);
    drawPalette();
  }
  function showError(slot, text) {
    var section = sections[indexOf(slot)];
    if (!section) { return; }
    if (text) { errors[slot] = text; } else { delete errors[slot]; }
    var box = section.querySelector(".exam-q-error");
    box.textContent = text || "";
    box.hidden = !text;
  }
  function lockSlot(slot) {
    lockedSlots[slot] = true;
    var section = sections[indexOf(slot)];
    if (section) { disable(section); }
  }

  questions.forEach(function (q, index) {
    var section = buildSection(q, index);
    sections.push(section);
    questionsBox.appendChild(section);
  });

  /* ------------------------------------------------------------ practice checks */
  function verdict(fraction) {
    var label = fraction === null ? T.pending : Number(fraction) >= 1 ? T.right
      : Number(fraction) > 0 ? T.partial : T.wrong;
    var tone = fraction === null ? "secondary" : Number(fraction) >= 1 ? "success"
      : Number(fraction) > 0 ? "warning" : "danger";
    return el("span", {class: "badge text-bg-" + tone, "data-testid": "correctness", text: label});
  }
  function find(list, id) {
    for (var i = 0; i < (list || []).length; i++) { if (list[i].id === id) { return i; } }
    return -1;
  }
  function text(value) { return document.createTextNode(String(value)); }
  /* The correct answer in the attempt's ids, shown with the question's own (sanitised) HTML
   * for options and items, and as text for typed answers. */
  function answerNode(view, ans, number) {
    if (!ans || !view) { return null; }
    var box = el("span", {class: "exam-key"});
    function sep() { if (box.childNodes.length) { box.appendChild(text("; ")); } }
    function option(id) {
      var i = find(view.options, id);
      if (i < 0) { return; }
      sep();
      box.appendChild(el("strong", {text: (LETTERS[i] || "") + ". "}));
      box.appendChild(html("d-inline", view.options[i].text_html));
    }
    if (view.type === "single_choice") { option(ans.choice); }
    else if (view.type === "multiple_response") { (ans.choices || []).forEach(option); }
    else if (view.type === "true_false") { box.appendChild(text(ans.value ? T["true"] : T["false"])); }
    else if (view.type === "true_false_4") {
      view.statements.forEach(function (st, i) {
        if (!ans.statements || !(st.id in ans.statements)) { return; }
        sep();
        box.appendChild(text("abcd"[i] + ") " + (ans.statements[st.id] ? T["true"] : T["false"])));
      });
    } else if (view.type === "short_text" || view.type === "short_numeric") {
      if (ans.text !== undefined && ans.text !== null) { box.appendChild(text(ans.text)); }
    } else if (view.type === "matching") {
      view.left.forEach(function (left) {
        var r = find(view.right, (ans.pairs || {})[left.id]);
        if (r < 0) { return; }
        sep();
        box.appendChild(html("d-inline", left.text_html));
        box.appendChild(text(" – "));
        box.appendChild(html("d-inline", view.right[r].text_html));
      });
    } else if (view.type === "ordering") {
      (ans.order || []).forEach(function (id) {
        var i = find(view.items, id);
        if (i < 0) { return; }
        if (box.childNodes.length) { box.appendChild(text(" → ")); }
        box.appendChild(html("d-inline", view.items[i].text_html));
      });
    } else if (view.type === "cloze") {
      (view.gaps || []).forEach(function (gap, i) {
        var value = (ans.gaps || {})[gap.id];
        if (value === undefined || value === null) { return; }
        if (gap.kind === "dropdown") {
          var o = find(gap.options, value);
          value = o < 0 ? value : gap.options[o].text;
        }
        sep();
        box.appendChild(text("(" + (i + 1) + ") " + value));
      });
    } else if (view.type === "stimulus") {
      (view.children || []).forEach(function (child, i) {
        var node = answerNode(child, (ans.children || [])[i], number + "." + (i + 1));
        if (node) {
          box.appendChild(el("span", {class: "d-block"}, [
            el("span", {text: number + "." + (i + 1) + ": "}), node]));
        }
      });
    }
    return box.childNodes.length ? box : null;
  }
  function feedbackNode(view, fb, number) {
    if (!fb || !view) { return null; }
    var box = el("div", {class: "exam-check-feedback"});
    Object.keys(fb.options || {}).forEach(function (id) {
      var i = find(view.options, id);
      box.appendChild(el("div", {}, [el("strong", {text: (i < 0 ? "" : LETTERS[i]) + ": "}),
                                     html("d-inline", fb.options[id])]));
    });
    ["answer_html", "feedback", "solution", "reference_html"].forEach(function (k) {
      if (fb[k]) { box.appendChild(html("", fb[k])); }
    });
    (fb.children || []).forEach(function (child, i) {
      var node = feedbackNode((view.children || [])[i], child, number + "." + (i + 1));
      if (node) { box.appendChild(el("div", {}, [el("span", {text: number + "." + (i + 1) + ": "}), node])); }
    });
    return box.childNodes.length ? box : null;
  }
  function cssId(id) { return window.CSS && CSS.escape ? CSS.escape(id) : id; }
  function markParts(container, view, rv, chosen) {
    if (!rv || !view) { return; }
    if (view.type === "stimulus") {
      (rv.children || []).forEach(function (child, i) {
        var box = container.querySelector('[data-child="' + i + '"]');
        if (box) {
          box.insertBefore(verdict(child.fraction), box.children[1] || null);
          markParts(box, view.children[i], child, ((chosen || {}).children || [])[i]);
        }
      });
      return;
    }
    var parts = rv.parts;
    if (!parts && view.type === "single_choice" && rv.correct_answer) {
      parts = {};
      parts[rv.correct_answer.choice] = true;
      if (chosen && chosen.choice && chosen.choice !== rv.correct_answer.choice) { parts[chosen.choice] = false; }
    }
    Object.keys(parts || {}).forEach(function (id) {
      var node = container.querySelector('[data-part="' + cssId(id) + '"]');
      if (!node) { return; }
      var right = parts[id] === true;
      node.classList.add(right ? "exam-part-right" : "exam-part-wrong");
      node.appendChild(el("span", {class: "exam-part-mark", "aria-label": right ? T.part_right : T.part_wrong,
                                   text: right ? "✓" : "✗"}));
    });
  }
  function renderCheck(slot) {
    var i = indexOf(slot);
    var section = sections[i];
    var rv = checked[slot];
    var box = section && section.querySelector(".exam-check-result");
    if (!box || !rv) { return; }
    box.textContent = "";
    if (!section.dataset.marked) {
      markParts(section, questions[i], rv, answers[slot]);
      section.dataset.marked = "true";
    }
    box.appendChild(el("div", {class: "mt-2"}, [el("strong", {text: T.check_result + ": "}),
                                               verdict(rv.fraction)]));
    var key = answerNode(questions[i], rv.correct_answer, i + 1);
    if (key) {
      box.appendChild(el("div", {class: "mt-1", "data-testid": "check-key"}, [
        el("strong", {text: T.key_label + ": "}), key]));
    }
    var fb = feedbackNode(questions[i], rv.feedback, i + 1);
    if (fb) {
      box.appendChild(el("div", {class: "mt-1", "data-testid": "check-feedback"}, [
        el("strong", {text: T.explain_label + ": "}), fb]));
    }
    box.appendChild(el("div", {class: "small text-muted mt-1", text: T.checked_note}));
    var button = section.querySelector(".exam-check");
    if (button) { button.hidden = true; }
  }
  function checkBusy(slot, busy) {
    var section = sections[indexOf(slot)];
    var button = section && section.querySelector(".exam-check");
    if (!button) { return; }
    button.disabled = busy || !!checked[slot];
    button.textContent = busy ? T.checking : T.check;
  }
  function requestCheck(slot) {
    if (locked || checked[slot] || checkQueue.indexOf(slot) >= 0) { return; }
    if (!isAnswered(answers[slot])) { showError(slot, T.check_first); return; }
    showError(slot, "");
    checkQueue.push(slot);
    store("checks", checkQueue);
    lockSlot(slot);           // the answer being checked is final
    checkBusy(slot, true);
    schedule(0);              // the pending save of this slot goes first
  }
  function dropCheck(slot) {
    var at = checkQueue.indexOf(slot);
    if (at >= 0) { checkQueue.splice(at, 1); }
    store("checks", checkQueue);
  }

  function reviewBlock(slot) {
    var box = el("div", {class: "exam-review mt-2 small"});
    var seen = (data.checked || {})[slot];   // practice: a check the student already saw
    if (data.correctness && slot in data.correctness) {
      box.appendChild(verdict(data.correctness[slot]));
    } else if (seen) {
      box.appendChild(verdict(seen.fraction));
    }
    if (!isAnswered(answers[slot])) {
      box.appendChild(el("span", {class: "badge text-bg-light ms-1", text: T.not_answered}));
    }
    var i = indexOf(slot);
    if (data.keys && data.keys[slot]) {
      box.appendChild(el("div", {class: "mt-1"}, [el("strong", {text: T.key_label + ": "}),
        html("d-inline", data.keys[slot])]));
    } else if (seen && answerNode(questions[i], seen.correct_answer, i + 1)) {
      box.appendChild(el("div", {class: "mt-1"}, [el("strong", {text: T.key_label + ": "}),
        answerNode(questions[i], seen.correct_answer, i + 1)]));
    }
    if (data.feedback && data.feedback[slot]) {
      box.appendChild(el("div", {class: "mt-1"}, [el("strong", {text: T.explain_label + ": "}),
        html("", data.feedback[slot])]));
    } else if (seen && feedbackNode(questions[i], seen.feedback, i + 1)) {
      box.appendChild(el("div", {class: "mt-1"}, [el("strong", {text: T.explain_label + ": "}),
        feedbackNode(questions[i], seen.feedback, i + 1)]));
    }
    return box;
  }

  function drawPalette() {
    if (!palette) { return; }
    palette.textContent = "";
    var grid = el("div", {class: "exam-palette-grid"});
    questions.forEach(function (q, i) {
      var slot = String(q.slot);
      var answered = isAnswered(answers[slot]);
      var flagged = flags.indexOf(slot) >= 0;
      var label = fmt(T.question, {n: i + 1}) + (answered ? ", " + T.answered : "")
        + (flagged ? ", " + T.flagged : "");
      var b = el("button", {type: "button", class: "exam-cell" + (answered ? " answered" : "")
        + (flagged ? " flagged" : "") + (i === current ? " current" : ""),
        "aria-label": label, "data-slot": slot, text: String(i + 1)});
      if (i === current) { b.setAttribute("aria-current", "step"); }
      if (sequential && i !== current) { b.disabled = true; }  // no way back; forward by "Câu sau"
      b.addEventListener("click", function () { show(i); });
      grid.appendChild(b);
    });
    palette.appendChild(grid);
    palette.appendChild(el("div", {class: "exam-legend small text-muted mt-2"}, [
      el("span", {class: "exam-cell-sample answered", "aria-hidden": "true"}),
      el("span", {text: T.answered}),
      sequential ? null : el("span", {class: "exam-cell-sample flagged-sample",
                                      "aria-hidden": "true", text: "⚑"}),
      sequential ? null : el("span", {text: T.flagged})]));
    sections.forEach(function (section, i) {
      var f = section.querySelector(".exam-flag");
      if (!f) { return; }
      var on = flags.indexOf(String(questions[i].slot)) >= 0;
      f.textContent = on ? "⚑ " + T.unflag : "⚐ " + T.flag;
      f.setAttribute("aria-pressed", on ? "true" : "false");
      f.classList.toggle("active", on);
    });
  }
  function toggleFlag(slot) {
    var at = flags.indexOf(slot);
    if (at >= 0) { flags.splice(at, 1); } else { flags.push(slot); }
    store("flags", flags);
    drawPalette();
  }
  function show(index) {
    if (review) { return; }
    current = Math.max(0, Math.min(index, last));
    if (sequential && current < position) { current = position; }  // no way back
    if (!sequential) { store("current", current); }
    sections.forEach(function (s, i) { s.hidden = i !== current; });
    var prev = document.getElementById("prev-question");
    var next = document.getElementById("next-question");
    if (prev) { prev.disabled = current === 0; prev.hidden = sequential; }
    if (next) { next.disabled = locked || current === last; }
    drawPalette();
  }
  /* Sequential: the server says the position is further on (another device, a late save). */
  function moveTo(pos) {
    if (!sequential || typeof pos !== "number" || pos <= position) { return; }
    position = Math.min(pos, last);
    questions.forEach(function (q, i) { if (i < position) { lockSlot(String(q.slot)); } });
    show(position);
  }
  /* Sequential "Câu sau": move on at once (works offline) and queue POST …/next {slot}. */
  function advance() {
    if (locked || current >= last) { return; }
    var slot = String(questions[current].slot);
    nextQueue = slot;
    store("next", nextQueue);
    lockSlot(slot);
    position = current + 1;
    show(position);
    setStatus();
    schedule(0);
  }

  if (!review) { sections.forEach(function (section, i) { decorate(i); }); }
  if (review) {
    drawPalette();
    questionsBox.querySelectorAll("input, select, textarea, button").forEach(function (c) {
      c.disabled = true;
    });
    return;
  }

  /* ------------------------------------------------------------ saving */
  var inflight = false;
  var failures = 0;
  var failedSince = null;
  var pumpTimer = null;
  var stopped = false;
  var wantSubmit = false;
  var timeUp = false;
  var eventFailures = 0;

  function headers() {
    return {"Content-Type": "application/json", "Accept": "application/json",
            "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content};
  }
  function setStatus() {
    var state = Object.keys(queue).length === 0 && nextQueue === null ? "saved"
      : (failures > 0 || !navigator.onLine) ? "retrying" : "saving";
    status.dataset.state = state;
    status.textContent = T[state];
  }
  function setAnswer(slot, response, typing) {
    if (locked || lockedSlots[slot]) { return; }
    if (errors[slot]) { showError(slot, ""); }
    answers[slot] = response;
    queue[slot] = {response: response, seq: nextSeq()};
    store("queue", queue);
    drawPalette();
    setStatus();
    schedule(typing ? 700 : 0);
  }
  function schedule(delay) {
    if (stopped) { return; }
    if (pumpTimer) { clearTimeout(pumpTimer); }
    pumpTimer = setTimeout(function () { pumpTimer = null; pump(); }, delay);
  }
  function backoff(n) {
    var ceiling = Math.min(30000, 1000 * Math.pow(2, Math.min(n, 10) - 1));
    return ceiling / 2 + Math.random() * ceiling / 2;  // "equal jitter"
  }
  function failed() {
    failures += 1;
    if (failedSince === null) { failedSince = Date.now(); }
    setStatus();
    schedule(backoff(failures));
  }
  function recovered() {
    if (failures > 0) {
      logEvent("reconnect", {retries: failures,
                             seconds: Math.round((Date.now() - failedSince) / 1000)});
    }
    failures = 0;
    failedSince = null;
  }
  function say(text, tone) {
    message.textContent = text;
    message.className = "alert alert-" + (tone || "info");
  }
  function firstQueued() {
    var slots = Object.keys(queue);
    return slots.length ? slots[0] : null;
  }

  function request(method, url, body) {
    var sentAt = Date.now();
    return fetch(url, {method: method, headers: headers(), credentials: "same-origin",
                       body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          if (json && json.server_time) { syncClock(json.server_time, sentAt, Date.now()); }
          return {status: response.status, body: json};
        });
      });
  }

  function pump() {
    if (inflight || stopped) { return; }
    var work = firstQueued() !== null || nextQueue !== null || checkQueue.length > 0 || wantSubmit;
    if (!navigator.onLine && work) { failed(); return; }
    var slot = firstQueued();
    if (slot !== null) { sendSave(slot); return; }
    if (nextQueue !== null) { sendNext(nextQueue); return; }   // after the saves it follows
    if (checkQueue.length) { sendCheck(checkQueue[0]); return; }
    if (events.length && eventFailures < 8) { sendEvents(); return; }
    if (wantSubmit) { submitNow(); return; }
    setStatus();
  }
  function errorOf(r) { return (r.body && r.body.error) || {}; }
  /* What to do with a reply that is not a 200: true when it was handled as "retry later". */
  function retryOrEnd(r) {
    var code = errorOf(r).code;
    if (code === "time_up" || code === "attempt_finished") { ended(code); return true; }
    if (r.status === 401 || code === "csrf_failed") {
      say(T.session, "warning");  // keep it queued: it is sent again after logging in
      failed();
      return true;
    }
    if (r.status >= 500 || r.status === 429) { failed(); return true; }
    return false;
  }

  function sendSave(slot) {
    var entry = queue[slot];
    inflight = true;
    setStatus();
    request("PUT", urls.save + slot, {response: entry.response, seq: entry.seq})
      .then(function (r) {
        inflight = false;
        if (r.status === 200) {
          serverSeq[slot] = Math.max(serverSeq[slot] || 0, r.body.saved_seq);
          serverAnswers[slot] = entry.response;
          if (r.body.saved_seq > seq) { seq = r.body.saved_seq; store("seq", seq); }
          if (queue[slot] && queue[slot].seq <= entry.seq) { delete queue[slot]; }
          store("queue", queue);
          recovered();
          setStatus();
          schedule(0);
        } else if (!retryOrEnd(r)) {
          refused(slot, entry, errorOf(r), r.status);
        }
      }, function () { inflight = false; failed(); });
  }
  /* Any other 4xx cannot succeed by retrying: drop that entry (never block the queue) and say
   * why on the question. A slot checked or left behind is locked and shows what the server
   * holds. */
  function refused(slot, entry, error, statusCode) {
    var final = error.code === "sequential" || error.code === "checked";
    if (queue[slot] && (final || queue[slot].seq === entry.seq)) { delete queue[slot]; }
    store("queue", queue);
    recovered();
    if (final) {
      lockSlot(slot);
      showError(slot, error.code === "checked" ? T.locked_checked : T.locked_sequential);
      if (error.code === "sequential") { moveTo((error.details || {}).position); }
      refresh(slot);
    } else {
      var why = error.message || String(statusCode);
      showError(slot, fmt(T.refused, {why: why}));
      say(fmt(T.invalid, {n: numberOf(slot), why: why}), "danger");
    }
    setStatus();
    schedule(0);
  }
  /* Show what the server holds for a slot (answer, check) after a refused save. */
  function refresh(slot) {
    request("GET", urls.attempt).then(function (r) {
      if (r.status !== 200 || queue[slot]) { return; }
      var body = r.body;
      if (body.answers && slot in body.answers) { answers[slot] = body.answers[slot]; }
      else { delete answers[slot]; }
      serverAnswers[slot] = answers[slot];
      if (body.checked && body.checked[slot]) { checked[slot] = body.checked[slot]; dropCheck(slot); }
      rebuild(slot);
      if (sequential) { moveTo(body.position); }
    }, function () { /* offline: the message on the question stays */ });
  }

  function sendNext(slot) {
    inflight = true;
    setStatus();
    request("POST", urls.next, {slot: Number(slot)}).then(function (r) {
      inflight = false;
      if (r.status === 200 || !retryOrEnd(r)) {
        if (nextQueue === slot) { nextQueue = null; store("next", null); }  // done, or never
        recovered();
        if (r.status === 200) { moveTo(r.body.position); }
        setStatus();
        schedule(0);
      }
    }, function () { inflight = false; failed(); });
  }

  function sendCheck(slot) {
    inflight = true;
    request("POST", urls.check + slot, {}).then(function (r) {
      inflight = false;
      if (r.status === 200) {
        dropCheck(slot);
        checked[slot] = r.body;
        recovered();
        checkBusy(slot, false);
        renderCheck(slot);
        schedule(0);
      } else if (!retryOrEnd(r)) {
        var error = errorOf(r);
        dropCheck(slot);
        recovered();
        delete lockedSlots[slot];
        rebuild(slot);
        showError(slot, error.code === "unanswered" ? T.check_first
          : fmt(T.check_refused, {why: error.message || r.status}));
        schedule(0);
      }
    }, function () { inflight = false; failed(); });
  }

  function sendEvents() {
    var batch = events.slice(0, 50);
    inflight = true;
    request("POST", urls.events, {events: batch}).then(function (r) {
      inflight = false;
      if (r.status === 200 || r.status === 400 || r.status === 409 || r.status === 404) {
        events.splice(0, batch.length);  // stored, or never storable: do not retry
        store("events", events);
        eventFailures = 0;
        schedule(0);
      } else {
        eventFailures += 1;
        schedule(backoff(eventFailures));
      }
    }, function () {
      inflight = false;
      eventFailures += 1;
      schedule(backoff(eventFailures));
    });
  }
  function logEvent(kind, detail) {
    if (stopped) { return; }
    events.push({kind: kind, at: new Date(serverNow()).toISOString(), detail: detail || null});
    if (events.length > 200) { events.splice(0, events.length - 200); }
    store("events", events);
    if (!inflight && !pumpTimer) { schedule(300); }
  }

  function lockInputs() {
    locked = true;
    root.querySelectorAll("#exam-questions input, #exam-questions select, " +
                          "#exam-questions textarea, #exam-questions button").forEach(function (c) {
      c.disabled = true;
    });
    ["submit-open", "prev-question", "next-question"].forEach(function (id) {
      var b = document.getElementById(id);
      if (id === "submit-open" && b) { b.disabled = true; }
    });
  }
  function beginSubmit() {
    wantSubmit = true;
    eventFailures = 8;  // integrity events must not delay the submit
    lockInputs();
    say(navigator.onLine ? T.submitting : T.submit_offline, navigator.onLine ? "info" : "warning");
    schedule(0);
  }
  function submitNow() {
    inflight = true;
    request("POST", urls.submit, {}).then(function (r) {
      inflight = false;
      if (r.status === 200 || r.status === 409) { done(); return; }
      if (r.status >= 500 || r.status === 429) { failed(); return; }
      say(fmt(T.error, {why: (r.body.error || {}).message || r.status}), "danger");
    }, function () {
      inflight = false;
      say(T.submit_offline, "warning");
      failed();
    });
  }
  function done() {
    stopped = true;
    forget();
    window.location.assign(urls.result);
  }
  /* The server refused a write: the time is up or the attempt is already finished. */
  function ended(code) {
    lockInputs();
    queue = {};
    store("queue", queue);
    nextQueue = null;
    checkQueue = [];
    if (code === "time_up") {
      say(T.time_up, "warning");
      wantSubmit = true;
      failures = 0;
      submitNow();
    } else {
      say(T.finished, "info");
      stopped = true;
      setTimeout(done, 1500);
    }
  }

  /* ------------------------------------------------------------ timer */
  var timer = document.getElementById("exam-timer");
  var deadline = data.deadline ? Date.parse(data.deadline) : null;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    if (deadline === null) { timer.textContent = T.no_limit; return; }
    var left = Math.max(0, Math.ceil((deadline - serverNow()) / 1000));
    var h = Math.floor(left / 3600);
    var m = Math.floor((left % 3600) / 60);
    var text = (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(left % 60);
    if (timer.textContent !== text) { timer.textContent = text; }
    timer.classList.toggle("text-danger", left <= 300);
    if (left <= 0 && !timeUp) {
      timeUp = true;
      say(T.time_up, "warning");
      beginSubmit();  // flushes the queue first, then submits
    }
  }

  /* ------------------------------------------------------------ events and wiring */
  var away = null;
  function lost() { if (away === null) { away = Date.now(); logEvent("focus_lost"); } }
  function back() {
    if (away !== null) {
      logEvent("focus_back", {seconds: Math.round((Date.now() - away) / 1000)});
      away = null;
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { lost(); } else { back(); }
  });
  window.addEventListener("blur", lost);
  window.addEventListener("focus", back);
  var fullscreen = !!document.fullscreenElement;
  document.addEventListener("fullscreenchange", function () {
    if (fullscreen && !document.fullscreenElement) { logEvent("fullscreen_exit"); }
    fullscreen = !!document.fullscreenElement;
  });
  window.addEventListener("offline", function () { logEvent("offline"); setStatus(); });
  window.addEventListener("online", function () {
    logEvent("online");
    eventFailures = Math.min(eventFailures, wantSubmit ? 8 : 0);
    schedule(0);  // do not wait for the backoff timer
  });

  document.getElementById("prev-question").addEventListener("click", function () { show(current - 1); });
  document.getElementById("next-question").addEventListener("click", function () {
    if (sequential) { advance(); } else { show(current + 1); }
  });
  var toggle = document.getElementById("palette-toggle");
  toggle.addEventListener("click", function () {
    var open = palette.classList.toggle("d-none");
    toggle.setAttribute("aria-expanded", open ? "false" : "true");
  });
  var dialogNode = document.getElementById("submit-dialog");
  document.getElementById("submit-open").addEventListener("click", function () {
    var missing = [];
    var flagged = [];
    questions.forEach(function (q, i) {
      if (needsAnswer(q) && !isAnswered(answers[String(q.slot)])) { missing.push(i + 1); }
      if (flags.indexOf(String(q.slot)) >= 0) { flagged.push(i + 1); }
    });
    document.getElementById("submit-unanswered").textContent = missing.length
      ? fmt(T.unanswered, {list: missing.join(", ")}) : T.none_unanswered;
    var flaggedLine = document.getElementById("submit-flagged");
    flaggedLine.textContent = flagged.length ? fmt(T.flagged_list, {list: flagged.join(", ")}) : "";
    flaggedLine.hidden = !flagged.length;
    window.bootstrap.Modal.getOrCreateInstance(dialogNode).show();
  });
  document.getElementById("submit-confirm").addEventListener("click", function () {
    window.bootstrap.Modal.getOrCreateInstance(dialogNode).hide();
    beginSubmit();
  });

  var resumed = load("opened", false) || Object.keys(data.answers || {}).length > 0;
  if (resumed) {
    logEvent("resumed", {answers: Object.keys(data.answers || {}).length,
                         device: load("opened", false) ? "same" : "other"});
  }
  store("opened", true);
  show(current);
  setStatus();
  tick();
  window.setInterval(tick, 250);
  if (Object.keys(queue).length || events.length || nextQueue !== null || checkQueue.length) {
    schedule(0);
  }
  root.dataset.ready = "true";
}());
