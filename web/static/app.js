// amends: running clocks. Every element with data-since (an RFC 3339 instant) shows the time
// elapsed since then, formatted as the server formats it (formatDuration in web/format.go).
// Every element with data-until (a time-to-own target's due instant) shows "due in …" until
// then and "missed by …" after, switching its class from target-counting to target-missed,
// as ownView in web/owntime.go words it.
// The server-rendered text is right without this script; it only keeps it current. The
// offset between the server's clock (data-now on <main>) and this browser's is kept, so a
// browser whose clock is wrong still counts from the server's reading.
(function () {
  "use strict";

  function format(ms) {
    var m = Math.floor(ms / 60000);
    if (m < 1) return "under 1 min";
    if (m < 60) return m + " min";
    if (m < 1440) {
      var h = Math.floor(m / 60), rest = m % 60;
      return rest ? h + " h " + rest + " min" : h + " h";
    }
    var d = Math.floor(m / 1440), hh = Math.floor((m % 1440) / 60);
    return hh ? d + " d " + hh + " h" : d + " d";
  }

  var main = document.querySelector("main[data-now]");
  var serverNow = main ? Date.parse(main.getAttribute("data-now")) : NaN;
  var offset = isNaN(serverNow) ? 0 : serverNow - Date.now();

  function tick() {
    var now = Date.now() + offset;
    var els = document.querySelectorAll("[data-since]");
    for (var i = 0; i < els.length; i++) {
      var since = Date.parse(els[i].getAttribute("data-since"));
      if (isNaN(since)) continue;
      var text = format(now - since);
      if (els[i].textContent !== text) els[i].textContent = text;
    }
    var dues = document.querySelectorAll("[data-until]");
    for (var j = 0; j < dues.length; j++) {
      var due = Date.parse(dues[j].getAttribute("data-until"));
      if (isNaN(due)) continue;
      var left = due - now;
      var said = left > 0 ? "due in " + format(left) : "missed by " + format(-left);
      if (dues[j].textContent !== said) dues[j].textContent = said;
      if (left <= 0 && dues[j].classList.contains("target-counting")) {
        dues[j].classList.replace("target-counting", "target-missed");
      }
    }
  }

  tick();
  setInterval(tick, 1000);
})();
