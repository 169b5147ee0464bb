// DashboardAssets: the dashboard's only stylesheet and script, served from the hub itself (`/assets/…`) so it
// works air-gapped and the Content-Security-Policy can forbid inline script and style.
//
// The script refreshes the page's live part every `data-refresh-ms` milliseconds by fetching the same URL with
// `fragment=1` (HTML the hub rendered and escaped) and swapping it in. A failed fetch marks the data stale,
// says since when, and keeps retrying; a 401 says the session ended.

enum DashboardAssets {
    static let script = #"""
        "use strict";
        (function () {
          var live = document.getElementById("live");
          var status = document.getElementById("live-status");
          if (!live || !status) return;
          var every = parseInt(live.getAttribute("data-refresh-ms"), 10) || 2000;
          var lastGood = new Date();
          function show(text, state) {
            status.textContent = text;
            status.className = "live " + state;
            live.setAttribute("data-state", state);
          }
          function clock(date) { return date.toISOString().slice(11, 19) + " UTC"; }
          function tick() {
            var url = new URL(window.location.href);
            url.searchParams.set("fragment", "1");
            fetch(url.toString(), { credentials: "same-origin", cache: "no-store" })
              .then(function (response) {
                if (response.status === 401) throw new Error("signed out: reload to sign in");
                // 404: a service with no data in the range; its page says so, and the hub did answer.
                if (!response.ok && response.status !== 404) throw new Error("HTTP " + response.status);
                return response.text();
              })
              .then(function (html) {
                live.innerHTML = html;
                lastGood = new Date();
                live.setAttribute("data-updated", String(lastGood.getTime()));
                show("live · " + clock(lastGood), "ok");
              })
              .catch(function (error) {
                show("stale since " + clock(lastGood) + " (" + error.message + ") · retrying", "stale");
              })
              .then(function () { window.setTimeout(tick, every); });
          }
          show("live · " + clock(lastGood), "ok");
          window.setTimeout(tick, every);
        })();
        """#

    static let stylesheet = #"""
        :root { --fg: #1d2330; --muted: #5b6475; --bg: #ffffff; --panel: #f4f6f9; --line: #d5dae3;
          --ok: #1b7f3b; --bad: #b42318; --warn: #a15c00;
          --s0: #2364aa; --s1: #c2410c; --s2: #15803d; --s3: #7e22ce; --s4: #0e7490; --s5: #a16207;
          --s6: #be185d; --s7: #475569; }
        @media (prefers-color-scheme: dark) {
          :root { --fg: #e6e9ef; --muted: #a3abba; --bg: #11151c; --panel: #1b212b; --line: #323a48;
            --ok: #4ade80; --bad: #f87171; --warn: #fbbf24;
            --s0: #60a5fa; --s1: #fb923c; --s2: #4ade80; --s3: #c084fc; --s4: #22d3ee; --s5: #facc15;
            --s6: #f472b6; --s7: #94a3b8; }
        }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
          background: var(--bg); }
        header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; padding: 8px 16px;
          background: var(--panel); border-bottom: 1px solid var(--line); }
        .brand { font-weight: 700; }
        nav a { margin-right: 10px; color: var(--fg); text-decoration: none; }
        nav a[aria-current] { font-weight: 700; text-decoration: underline; }
        .ranges a { margin-right: 6px; padding: 1px 6px; border: 1px solid var(--line); border-radius: 4px; }
        .live { margin-left: auto; font-size: 12px; color: var(--muted); }
        .live.stale { color: var(--bad); font-weight: 700; }
        .live.stale::before { content: "⚠ "; }
        main { padding: 8px 16px 32px; max-width: 1400px; }
        h1 { font-size: 20px; margin: 8px 0; }
        h2, h3 { font-size: 15px; margin: 16px 0 6px; }
        .downloads { font-weight: 400; font-size: 12px; margin-left: 8px; }
        .downloads a { color: var(--muted); }
        .tiles { display: flex; flex-wrap: wrap; gap: 8px; margin: 0; }
        .tiles div { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px;
          min-width: 150px; }
        .tiles dt { font-size: 12px; color: var(--muted); }
        .tiles dd { margin: 0; font-size: 16px; font-weight: 600; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; min-width: 50%; }
        th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .ok { color: var(--ok); } .bad { color: var(--bad); }
        .empty, .meta { color: var(--muted); }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 12px; }
        .pair { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 12px; }
        @media (max-width: 480px) { .charts, .pair { grid-template-columns: 1fr; } }
        figure { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 6px; }
        figcaption { font-weight: 600; font-size: 13px; }
        .unit { color: var(--muted); font-weight: 400; }
        svg { width: 100%; height: auto; display: block; }
        svg .grid { stroke: var(--line); stroke-width: 1; }
        svg .axis { stroke: var(--muted); stroke-width: 1; }
        svg text { fill: var(--muted); font-size: 11px; }
        svg .nodata { font-size: 13px; }
        .line polyline { fill: none; stroke-width: 2; }
        .line circle { stroke: none; }
        .legend { list-style: none; padding: 0; margin: 4px 0 0; display: flex; flex-wrap: wrap; gap: 4px 14px; }
        .legend .swatch { display: inline-block; width: 24px; height: 8px; margin-right: 4px; }
        .s0 polyline { stroke: var(--s0); } .s0 circle, .s0 rect { fill: var(--s0); }
        .s1 polyline { stroke: var(--s1); stroke-dasharray: 8 3; } .s1 circle, .s1 rect { fill: var(--s1); }
        .s2 polyline { stroke: var(--s2); stroke-dasharray: 2 2; } .s2 circle, .s2 rect { fill: var(--s2); }
        .s3 polyline { stroke: var(--s3); stroke-dasharray: 8 2 2 2; } .s3 circle, .s3 rect { fill: var(--s3); }
        .s4 polyline { stroke: var(--s4); stroke-dasharray: 12 4; } .s4 circle, .s4 rect { fill: var(--s4); }
        .s5 polyline { stroke: var(--s5); stroke-dasharray: 4 4; } .s5 circle, .s5 rect { fill: var(--s5); }
        .s6 polyline { stroke: var(--s6); stroke-dasharray: 1 3; } .s6 circle, .s6 rect { fill: var(--s6); }
        .s7 polyline { stroke: var(--s7); stroke-dasharray: 6 2 1 2; } .s7 circle, .s7 rect { fill: var(--s7); }
        .shares svg { max-width: 480px; }
        .shares text.label, .shares text.value { fill: var(--fg); font-size: 12px; }
        .verdict { margin: 6px 0; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; }
        .verdict .version { font-weight: 700; margin-right: 6px; }
        .decision { font-weight: 700; padding: 1px 6px; border-radius: 4px; border: 1px solid currentColor; }
        .decision.promote { color: var(--ok); } .decision.rollback { color: var(--bad); }
        .decision.inconclusive { color: var(--warn); }
        .reason { margin: 4px 0 0; color: var(--muted); }
        .class-high, .class-low, .state-firing { color: var(--bad); font-weight: 600; }
        .state-pending { color: var(--warn); }
        form.signin { max-width: 360px; margin: 48px auto; display: grid; gap: 8px; }
        form.signin input { font: inherit; padding: 6px; }
        .error { color: var(--bad); }
        """#
}
