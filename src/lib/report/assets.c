/*
 * The page's own style sheet and script, and the Content-Security-Policy that
 * allows exactly these two (by hash) and nothing else: no fetch, no other
 * script, even if some text escaped its escaping.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report/report-private.h"
#include "util/sha256.h"

/*
 * Colours: every pair of text and background meets WCAG AA (4.5:1) in both
 * schemes; severity and exposure are also said in words, never by colour only.
 */
static const char report_css[] =
    ":root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;"
    "--card:#f6f8fa;--link:#0550ae;--mark:#fff8c5;--open:#0969da;--find:#cf222e;"
    "--high:#b42318;--medium:#8a4b00;--low:#1f5fae;--info:#57606a;--ok:#1a7f37}\n"
    "@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;"
    "--line:#30363d;--card:#161b22;--link:#79c0ff;--mark:#3b2e00;--open:#58a6ff;"
    "--find:#ff7b72}}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--fg);"
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',sans-serif}\n"
    "header,main,footer{max-width:1200px;margin:0 auto;padding:0 16px}\n"
    "header{padding-top:16px}h1{font-size:1.6em;margin:.2em 0}"
    "h2{font-size:1.35em;margin:1.6em 0 .4em;padding-top:.4em;border-top:2px solid var(--line)}"
    "h3{font-size:1.15em;margin:1.4em 0 .4em}h4{font-size:1em;margin:1em 0 .3em}\n"
    "a{color:var(--link)}code,.mono{font-family:ui-monospace,'DejaVu Sans Mono',monospace;"
    "font-size:.92em;overflow-wrap:anywhere}\n"
    ".meta{color:var(--muted);margin:.2em 0}\n"
    ".skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--bg);"
    "padding:4px 8px}\n"
    "nav ul{list-style:none;padding:0;margin:.6em 0;display:flex;flex-wrap:wrap;gap:.4em 1.2em}\n"
    ".cards{list-style:none;padding:0;margin:.6em 0;display:grid;gap:10px;"
    "grid-template-columns:repeat(auto-fill,minmax(118px,1fr))}\n"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:8px;"
    "padding:10px 12px}.card .n{display:block;font-size:1.8em;font-weight:700;line-height:1.2}"
    ".card .d{display:block;color:var(--muted);font-size:.85em}\n"
    ".card.high{border-left:6px solid var(--high)}.card.medium{border-left:6px solid var(--medium)}"
    ".card.low{border-left:6px solid var(--low)}.card.info{border-left:6px solid var(--info)}"
    ".card.reach{border-left:6px solid var(--medium)}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;width:100%;margin:.4em 0 1em}"
    "caption{text-align:left;font-weight:600;padding:.3em 0}"
    "caption::first-letter{text-transform:uppercase}"
    "th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;"
    "vertical-align:top}th{background:var(--card)}td.num,th.num{text-align:right;"
    "font-variant-numeric:tabular-nums}\n"
    "td.mono{white-space:nowrap}td.ref{overflow-wrap:anywhere;min-width:12em}\n"
    "tr.mismatch td{background:var(--mark)}\n"
    ".sev,.exp{display:inline-block;padding:1px 7px;border-radius:10px;color:#fff;"
    "font-size:.85em;font-weight:600;white-space:nowrap}\n"
    ".sev.high{background:var(--high)}.sev.medium{background:var(--medium)}"
    ".sev.low{background:var(--low)}.sev.info,.sev.other{background:var(--info)}\n"
    ".exp.reachable{background:var(--medium)}.exp.blocked{background:var(--low)}"
    ".exp.loopback-only{background:var(--ok)}.exp.other{background:var(--info)}\n"
    ".flag{font-weight:700}\n"
    "ul.changes{padding-left:1.2em}ul.changes li{margin:.15em 0}\n"
    "th button.sort{all:unset;cursor:pointer;font-weight:700}"
    "th button.sort:focus-visible{outline:2px solid var(--link)}"
    "th[aria-sort=ascending] button.sort::after{content:' \\25B2'}"
    "th[aria-sort=descending] button.sort::after{content:' \\25BC'}\n"
    "figure{margin:.6em 0}svg.chart{width:100%;max-width:760px;height:auto}"
    "svg.chart text{fill:var(--muted);font-size:11px}svg.chart .axis{stroke:var(--line)}"
    "svg.chart .s-open{stroke:var(--open);fill:none;stroke-width:2}"
    "svg.chart .s-find{stroke:var(--find);fill:none;stroke-width:2;stroke-dasharray:5 3}"
    "svg.chart .pt-open{fill:var(--open)}svg.chart .pt-findings{fill:var(--find)}\n"
    ".legend{color:var(--muted);font-size:.9em}.legend .k-open{color:var(--open)}"
    ".legend .k-find{color:var(--find)}\n"
    "footer{color:var(--muted);padding:24px 16px;font-size:.85em}\n"
    "@media print{:root{--bg:#fff;--fg:#000;--card:#fff;--muted:#333}nav,.skip{display:none}"
    "body{font-size:11pt}tr,.card,figure{break-inside:avoid}h2,h3{break-after:avoid}"
    "a{color:#000}}\n";

/*
 * Sortable tables: a button in each header cell of table.sortable; numbers
 * sort as numbers, a cell's data-sort overrides its text. Without script the
 * tables stay in the order the report wrote them.
 */
static const char report_js[] =
    "(function(){'use strict';\n"
    "function key(c){var v=c.getAttribute('data-sort');if(v===null)v=c.textContent.trim();"
    "var n=Number(v);return v!==''&&!isNaN(n)?[0,n]:[1,v.toLowerCase()];}\n"
    "function cmp(a,b){if(a[0]!==b[0])return a[0]-b[0];return a[1]<b[1]?-1:a[1]>b[1]?1:0;}\n"
    "document.querySelectorAll('table.sortable').forEach(function(t){\n"
    " var ths=t.querySelectorAll('thead th');\n"
    " ths.forEach(function(th,i){\n"
    "  var b=document.createElement('button');b.type='button';b.className='sort';\n"
    "  while(th.firstChild)b.appendChild(th.firstChild);th.appendChild(b);\n"
    "  b.addEventListener('click',function(){\n"
    "   var asc=th.getAttribute('aria-sort')!=='ascending';\n"
    "   ths.forEach(function(o){o.removeAttribute('aria-sort');});\n"
    "   th.setAttribute('aria-sort',asc?'ascending':'descending');\n"
    "   var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);\n"
    "   rows=rows.map(function(r,k){return [key(r.cells[i]),k,r];});\n"
    "   rows.sort(function(x,y){return (asc?cmp(x[0],y[0]):cmp(y[0],x[0]))||x[1]-y[1];});\n"
    "   rows.forEach(function(r){body.appendChild(r[2]);});\n"
    "  });\n"
    " });\n"
    "});\n"
    "})();\n";

/* "sha256-BASE64" of s into out (at least 52 bytes). Returns 0 or -ENOMEM. */
static int report_csp_hash(const char *s, char *out, size_t len)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char md[SHA256_LEN + 1] = {0}; /* 33 bytes: 11 groups of 3, the last padded */
	char *o = out + 7;

	if (len < 52 || sha256_digest(s, strlen(s), md) < 0)
		return -ENOMEM;
	memcpy(out, "sha256-", 7);
	for (size_t i = 0; i < sizeof(md); i += 3) {
		unsigned long v = (unsigned long)md[i] << 16 | md[i + 1] << 8 | md[i + 2];

		for (int k = 18; k >= 0; k -= 6)
			*o++ = b64[v >> k & 63];
	}
	o[-1] = '='; /* 32 bytes: 43 characters and one '=' */
	*o = '\0';
	return 0;
}

int report_head(struct html *h, const char *title, const char *generator)
{
	char css_hash[64], js_hash[64];

	if (report_csp_hash(report_css, css_hash, sizeof(css_hash)) < 0 ||
	    report_csp_hash(report_js, js_hash, sizeof(js_hash)) < 0)
		return -ENOMEM;
	html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
	html_rawf(h,
	          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	          "style-src '%s'; script-src '%s'; img-src data:; base-uri 'none'; "
	          "form-action 'none'\">\n",
	          css_hash, js_hash);
	html_raw(h, "<meta name=\"color-scheme\" content=\"light dark\">\n"
	            "<meta name=\"referrer\" content=\"no-referrer\">\n"
	            "<meta name=\"generator\" content=\"");
	html_text(h, generator);
	html_raw(h, "\">\n<title>");
	html_text(h, title);
	html_raw(h, "</title>\n<link rel=\"icon\" href=\"data:,\">\n<style>");
	html_raw(h, report_css);
	html_raw(h, "</style>\n</head>\n<body>\n");
	return 0;
}

void report_tail(struct html *h)
{
	html_raw(h, "<script>");
	html_raw(h, report_js);
	html_raw(h, "</script>\n</body>\n</html>\n");
}
