"""Checks a status page (issue 13) strictly, for t_status_page.sh.

usage: status_page.py PAGE EXPECT_JSON

PAGE must parse as XML (well-formed XHTML: any unescaped '&' or '<', a stray
control character or an unclosed element fails). EXPECT_JSON holds what SQL
says the page must show: the org's name and id, per entity the newest runs
(id, status, records, seconds), the error window, the push counts and
rejections by reason, and a lease. Exits 1 naming the first difference.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def text(el):
    return "".join(el.itertext()).strip()


def num(s):
    return int(s.replace(",", ""))


def check_raw(raw):
    # nothing from elsewhere: no URL at all, no reference attribute, no script
    for bad in ("http://", "https://", "<script", "src=", "href=", "url(", "@import"):
        if bad in raw:
            fail("the page contains %r" % bad)
    m = re.search(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", raw)
    if m:
        fail("the page shows an email address: %r" % m.group(0))


def check_escaping(raw, root, want):
    org = root.find(".//section[@id='org-%d']" % want["org"])
    if org is None:
        fail("no section for organization %d" % want["org"])
    bdi = org.find("h2/bdi")
    if bdi is None or bdi.text != want["name"]:
        fail("org name rendered as %r, want %r" % (bdi is not None and bdi.text, want["name"]))
    for escaped in want["escaped"]:
        if escaped not in raw:
            fail("the raw page lacks the escaped form %r" % escaped)
    return org


def check_history(org, want):
    for ent, runs in want["history"].items():
        got = []
        fig = [f for f in org.findall(".//figure") if text(f.find("figcaption")).startswith(ent + ":")]
        if len(fig) != 1:
            fail("%s: %d figures" % (ent, len(fig)))
        svg = fig[0].find("svg")
        if svg is None or not text(svg.find("title")) or svg.find("desc") is None:
            fail("%s: no chart with a title and a description" % ent)
        if len(svg.findall("g[@class='s-records']/rect")) != len(runs):
            fail("%s: %d bars for %d runs" % (ent, len(svg.findall("g[@class='s-records']/rect")), len(runs)))
        if len(svg.findall("g[@class='mark']/path")) != sum(r["status"] in ("failed", "partial") for r in runs):
            fail("%s: failed runs are not all marked" % ent)
        rows = fig[0].findall(".//table[@class='history']/tbody/tr")
        for tr in rows:
            td = tr.findall("td")
            got.append({"id": int(tr.get("data-run")), "status": text(td[2]), "records": num(text(td[3])),
                        "secs": text(td[4])})
        exp = [{"id": r["id"], "status": r["status"], "records": r["records"], "secs": "%.1f s" % r["secs"]}
               for r in runs]
        if got != exp:
            fail("%s history differs from SQL:\n page %s\n SQL  %s" % (ent, got, exp))
        last = org.find(".//table[@class='entities']/tbody/tr[@data-entity='%s']" % ent)
        cells = last.findall("td")
        if num(text(cells[3])) != runs[0]["records"] or not text(cells[1]).startswith(runs[0]["status"]):
            fail("%s last run differs: %s" % (ent, [text(c) for c in cells]))
        if not re.match(r"(fresh|stale|very stale|never synced|never succeeded)\b", text(cells[0])):
            fail("%s freshness is not said in words: %r" % (ent, text(cells[0])))


def check_rest(root, org, want):
    rate = org.find("p[@class='error-rate']")
    got = (int(rate.get("data-failed")), int(rate.get("data-runs")))
    if got != tuple(want["window"]):
        fail("error rate %s, SQL says %s" % (got, want["window"]))
    if "%d of the last %d" % got not in text(rate):
        fail("error rate not in words: %r" % text(rate))
    heads = [text(th) for th in org.findall(".//table[@class='push-counts']/thead/tr/th")]
    vals = [num(text(td)) for td in org.findall(".//table[@class='push-counts']/tbody/tr/td")]
    if dict(zip(heads, vals)) != want["push"]:
        fail("push counts %s, SQL says %s" % (dict(zip(heads, vals)), want["push"]))
    reasons = {text(tr.findall("td")[0]): num(text(tr.findall("td")[1]))
               for tr in org.findall(".//table[@class='rejections']/tbody/tr")}
    if reasons != want["reasons"]:
        fail("rejections %s, SQL says %s" % (reasons, want["reasons"]))
    leases = [[text(td) for td in tr.findall("td")] for tr in root.findall(".//table[@class='leases']/tbody/tr")]
    if not any(l[0] == want["lease"]["host"] and num(l[1]) == want["lease"]["pid"] and
               l[4] == want["lease"]["job"] for l in leases):
        fail("lease %s not among %s" % (want["lease"], leases))


def main():
    raw = open(sys.argv[1], encoding="utf-8").read()
    want = json.load(open(sys.argv[2], encoding="utf-8"))
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as e:
        fail("the page is not well-formed: %s" % e)
    check_raw(raw)
    org = check_escaping(raw, root, want)
    check_history(org, want)
    check_rest(root, org, want)
    print("page ok")


main()
