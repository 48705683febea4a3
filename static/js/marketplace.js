// The App Marketplace: Xero's consent in a popup, and the setup wizard's expense toggle.
//
// "Connect App" ([data-popup]) opens its link in a popup. When popups are blocked, the consent
// runs in this window instead (without ?popup=1, so Bridge answers with redirects); without JS
// the link is followed as it is, and the page below moves on by itself (<noscript> refresh).
// When Xero sends the popup back, Bridge answers with a small page (#consent-done) that hands
// its next URL to the marketplace page, which moves on to it, and closes itself. The message
// goes to window.opener (same origin only) and, for a popup whose opener link was cut (a
// Cross-Origin-Opener-Policy on the consent site), over a BroadcastChannel; without an
// acknowledgement the popup goes to the next URL itself.
(function () {
  "use strict";

  var MESSAGE = "bridge:xero-consent-done";
  var ACK = "bridge:xero-consent-ack";
  var CHANNEL = "bridge-marketplace";
  var ACK_WAIT_MS = 1500;

  function sameSitePath(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/" &&
      url.indexOf("\\") === -1;
  }

  function openerOnThisSite() {
    try {
      return window.opener && window.opener !== window &&
        window.opener.location.origin === window.location.origin ? window.opener : null;
    } catch (error) {
      return null; // another site's window: reading its location throws
    }
  }

  // --- in the popup, back from Xero ---------------------------------------------------
  function handBack(done) {
    var next = done.getAttribute("data-next");
    if (!sameSitePath(next)) { return; }
    var finished = false;
    var channel = window.BroadcastChannel ? new window.BroadcastChannel(CHANNEL) : null;

    function acknowledged() {
      if (finished) { return; }
      finished = true;
      if (channel) { channel.close(); }
      window.close();
    }
    window.addEventListener("message", function (event) {
      if (event.origin === window.location.origin && event.data && event.data.type === ACK) {
        acknowledged();
      }
    });
    if (channel) {
      channel.onmessage = function (event) {
        if (event.data && event.data.type === ACK) { acknowledged(); }
      };
    }
    var opener = openerOnThisSite();
    if (opener) { opener.postMessage({ type: MESSAGE, next: next }, window.location.origin); }
    if (channel) { channel.postMessage({ type: MESSAGE, next: next }); }
    if (!opener && !channel) {
      window.location.replace(next);
      return;
    }
    setTimeout(function () {
      if (finished) { return; }
      finished = true;
      if (channel) { channel.close(); }
      window.location.replace(next);
    }, ACK_WAIT_MS);
  }

  var done = document.getElementById("consent-done");
  if (done) {
    handBack(done);
    return;
  }

  // --- on the marketplace page ----------------------------------------------------------
  var moved = false;
  function moveOn(next, reply) {
    if (moved || !sameSitePath(next)) { return; }
    moved = true;
    reply();
    window.location.assign(next);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-popup]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) { return; }
    event.preventDefault();
    var popup = window.open(link.href, "bridge-xero-consent", "popup,width=640,height=760");
    if (popup) {
      popup.focus();
      return;
    }
    // Blocked: the consent runs in this window, and Bridge answers with plain redirects.
    var here = new URL(link.href);
    here.searchParams.delete("popup");
    window.location.assign(here.toString());
  });

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || !event.data || event.data.type !== MESSAGE) {
      return;
    }
    moveOn(event.data.next, function () {
      if (event.source) { event.source.postMessage({ type: ACK }, window.location.origin); }
    });
  });

  if (window.BroadcastChannel && document.querySelector("a[data-popup]")) {
    var channel = new window.BroadcastChannel(CHANNEL);
    channel.onmessage = function (event) {
      if (!event.data || event.data.type !== MESSAGE) { return; }
      moveOn(event.data.next, function () { channel.postMessage({ type: ACK }); });
    };
  }

  // --- the setup wizard: the expense fields show when exporting expenses is on ------------
  document.addEventListener("change", function (event) {
    var box = event.target;
    var target = box.getAttribute && box.getAttribute("data-reveals");
    var section = target && document.getElementById(target);
    if (section) { section.hidden = !box.checked; }
  });
})();
