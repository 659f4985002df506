// drsorch UI conveniences. Every page works without this file; it adds
// times in the viewer's zone, confirmations in place, list filters and the
// live execution page. No build step, no dependencies.
(function () {
  "use strict";

  // Times: the page says UTC; show the viewer's zone and keep UTC on hover.
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      if (!el.title) el.title = el.textContent;
      el.textContent = d.toLocaleString(undefined, {
        year: "numeric", month: "short", day: "numeric",
        hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"
      });
    });
  }

  // Controls: ask in place instead of on a separate confirmation page.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.matches || !form.matches("form[data-confirm]")) return;
    var confirmed = form.querySelector("input[name=confirm]");
    if (confirmed.value === "yes") return;
    ev.preventDefault();
    if (form.nextElementSibling && form.nextElementSibling.classList.contains("confirm")) return;
    var box = document.createElement("div");
    box.className = "confirm";
    box.setAttribute("role", "alertdialog");
    var p = document.createElement("p");
    p.textContent = form.getAttribute("data-confirm");
    p.id = "confirm-q-" + Math.random().toString(36).slice(2);
    box.setAttribute("aria-labelledby", p.id);
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "primary";
    yes.textContent = form.getAttribute("data-confirm-button") || "Confirm";
    yes.id = "confirm-yes";
    var no = document.createElement("button");
    no.type = "button";
    no.textContent = "Do nothing";
    no.id = "confirm-no";
    yes.addEventListener("click", function () {
      confirmed.value = "yes";
      yes.disabled = true;
      form.submit();
    });
    no.addEventListener("click", function () {
      box.remove();
      form.querySelector("button").focus();
      live.hold = false;
      if (live.pending && live.refresh) {
        live.pending = false;
        live.refresh(false);
      }
    });
    box.append(p, yes, " ", no);
    form.after(box);
    live.hold = true; // do not replace the page under an open question
    yes.focus();
  });

  // The recovery form: keep the button off until the plan's name is typed.
  document.querySelectorAll("input[data-must-equal]").forEach(function (input) {
    var button = input.form.querySelector("button[type=submit]");
    function check() { button.disabled = input.value !== input.getAttribute("data-must-equal"); }
    input.addEventListener("input", check);
    check();
  });

  // List filters: hide the rows that do not contain the text typed.
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    input.addEventListener("input", function () {
      var text = input.value.toLowerCase();
      document.querySelectorAll(input.getAttribute("data-filter")).forEach(function (row) {
        row.hidden = text !== "" && row.textContent.toLowerCase().indexOf(text) < 0;
      });
    });
  });
  document.documentElement.classList.add("js");

  // The live execution page: follow the execution's event stream, and on
  // news fetch the page's live part again from the server, which reads the
  // store (never DRS).
  var live = { hold: false, timer: null };
  function follow() {
    var el = document.getElementById("live");
    if (!el || !window.fetch || !window.TextDecoder) return;
    var id = el.getAttribute("data-execution");
    var after = Number(el.getAttribute("data-after")) || 0;
    var state = function (text) {
      var s = document.getElementById("live-state");
      if (s) s.textContent = text;
    };
    if (el.getAttribute("data-final") === "true") return;

    function refresh(done) {
      if (live.hold) { live.pending = true; return; }
      fetch(location.pathname + "?fragment=live", { headers: { Accept: "text/html" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          var cur = document.getElementById("live");
          if (!cur || live.hold) return;
          var t = document.createElement("template");
          t.innerHTML = html.trim();
          var next = t.content.firstElementChild;
          // Keep the keyboard where it was: on the same control, if it
          // is still there.
          var focused = document.activeElement && cur.contains(document.activeElement) ?
            document.activeElement.id : "";
          cur.replaceWith(next);
          localTimes(next);
          poll();
          if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
          if (!done) {
            state("live");
          } else if (next.getAttribute("data-final") === "true") {
            state("finished");
          } else {
            // The stream ended early, as when the server restarts.
            setTimeout(connect, 2000);
          }
        })
        .catch(function () { state("update failed; reload the page"); });
    }
    live.refresh = refresh;
    // While a health gate checks or instances await their EC2 details,
    // the page asks again now and then: those changes need not come
    // with an event.
    function poll() {
      clearTimeout(live.pollTimer);
      var cur = document.getElementById("live");
      var secs = cur ? Number(cur.getAttribute("data-refresh")) : 0;
      if (secs > 0 && cur.getAttribute("data-final") !== "true") {
        live.pollTimer = setTimeout(function () { refresh(false); }, secs * 1000);
      }
    }
    poll();
    function schedule(done) {
      clearTimeout(live.timer);
      live.timer = setTimeout(function () { refresh(done); }, done ? 0 : 250);
    }

    function connect() {
      state("live");
      fetch("/api/v1/executions/" + encodeURIComponent(id) + "/events?after=" + after,
        { headers: { Accept: "text/event-stream" } })
        .then(function (r) {
          if (!r.ok || !r.body) throw new Error("status " + r.status);
          var reader = r.body.getReader();
          var dec = new TextDecoder();
          var buf = "";
          function pump() {
            return reader.read().then(function (chunk) {
              if (chunk.done) return true;
              buf += dec.decode(chunk.value, { stream: true });
              var i, got = false;
              while ((i = buf.indexOf("\n\n")) >= 0) {
                var block = buf.slice(0, i);
                buf = buf.slice(i + 2);
                block.split("\n").forEach(function (line) {
                  if (line.indexOf("id:") === 0) {
                    after = Number(line.slice(3).trim()) || after;
                    got = true;
                  }
                });
              }
              if (got) schedule(false);
              return pump();
            });
          }
          return pump();
        })
        .then(function () {
          // The server ends the stream once the execution is final.
          schedule(true);
        })
        .catch(function () {
          state("reconnecting…");
          setTimeout(connect, 2000);
        });
    }
    connect();
  }

  localTimes(document);
  follow();
})();
