/* The content plan's calendar: drag a post to another day (month) or time (week, day) to move it, undo the
   last move, and click an empty day or time to write a post for it. No library; the server does the rest
   (planning/views/calendar.py). */
(function () {
  "use strict";

  var STORE = "pv-calendar-notice";

  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
    } catch (e) { /* fall back to the cookie */ }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function init() {
    var root = document.querySelector(".pv-cal");
    if (!root) return;
    var notice = root.querySelector(".pv-cal-notice");
    var errorBox = root.querySelector(".pv-cal-error");
    var dragged = null;

    function showError(text) {
      notice.hidden = true;
      errorBox.textContent = text;
      errorBox.hidden = false;
    }

    function showNotice(text, undoAt, postId) {
      errorBox.hidden = true;
      notice.textContent = text;
      if (undoAt && postId) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.setAttribute("data-testid", "calendar-undo");
        button.textContent = root.dataset.msgUndo;
        button.addEventListener("click", function () {
          button.disabled = true;
          move(postId, undoAt, function () {
            remember({ message: root.dataset.msgUndone });
            window.location.reload();
          }, function () { button.disabled = false; });
        });
        notice.appendChild(button);
      }
      notice.hidden = false;
    }

    function remember(value) {
      try { window.sessionStorage.setItem(STORE, JSON.stringify(value)); } catch (e) { /* private mode */ }
    }

    function recall() {
      try {
        var raw = window.sessionStorage.getItem(STORE);
        window.sessionStorage.removeItem(STORE);
        return raw ? JSON.parse(raw) : null;
      } catch (e) { return null; }
    }

    function move(postId, at, onDone, onFail) {
      var body = new FormData();
      body.append("at", at);
      body.append("timezone", root.dataset.zone || "");
      fetch(root.dataset.rescheduleUrl + postId + "/reschedule/", {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          throw new Error(response.status === 403 ? root.dataset.msgForbidden : root.dataset.msgFailed);
        }
        return response.json().then(function (data) {
          if (!response.ok) {
            throw new Error((data && data.error && data.error.message) || root.dataset.msgFailed);
          }
          onDone(data);
        });
      }).catch(function (error) {
        showError(error && error.message ? error.message : root.dataset.msgFailed);
        if (onFail) onFail();
      });
    }

    var saved = recall();
    if (saved && saved.message) showNotice(saved.message, saved.undoAt, saved.post);

    // Creating a post from an empty day or time: a click on the cell itself, not on a post or a link.
    root.addEventListener("click", function (event) {
      var cell = event.target.closest("[data-new]");
      if (!cell || event.target.closest("a, button")) return;
      window.location.href = cell.dataset.new;
    });

    if (!root.dataset.canMove) return;

    root.addEventListener("dragstart", function (event) {
      var chip = event.target.closest && event.target.closest(".pv-chip[data-movable]");
      if (!chip) return;
      dragged = chip;
      chip.classList.add("pv-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", chip.dataset.post);
    });

    root.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("pv-dragging");
      dragged = null;
      root.querySelectorAll(".pv-drop-target").forEach(function (el) { el.classList.remove("pv-drop-target"); });
    });

    root.addEventListener("dragover", function (event) {
      var cell = event.target.closest("[data-drop]");
      if (!cell || !dragged) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      root.querySelectorAll(".pv-drop-target").forEach(function (el) {
        if (el !== cell) el.classList.remove("pv-drop-target");
      });
      cell.classList.add("pv-drop-target");
    });

    root.addEventListener("drop", function (event) {
      var cell = event.target.closest("[data-drop]");
      if (!cell || !dragged) return;
      event.preventDefault();
      var chip = dragged;
      var from = chip.closest("[data-drop]");
      var time = chip.dataset.time; // HH:MM in the viewer's zone
      var at;
      if (cell.dataset.drop === "slot") {
        // Week and day: the row's hour, the post's minutes.
        at = cell.dataset.date + "T" + pad(parseInt(cell.dataset.hour, 10)) + ":" + time.slice(3, 5);
      } else {
        // Month: another day, the same local time of day.
        at = cell.dataset.date + "T" + time;
      }
      if (from === cell) return;
      chip.classList.remove("pv-dragging");
      move(chip.dataset.post, at, function (data) {
        var undoAt = data.previous ? data.previous.at : null;
        remember({ message: data.message + (data.note ? " " + data.note : ""), undoAt: undoAt, post: data.post });
        window.location.reload();
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
