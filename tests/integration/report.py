"""Checks a giving report (issue 13) strictly, for t_report.sh.

usage: report.py PAGE EXPECT_JSON

PAGE must parse as XML (well-formed XHTML). EXPECT_JSON holds what SQL over
the views and transactions says the page must show (see t_report.sh):
  scope, standalone, emails (none may appear), names (donor names, none may
  appear), escaped (raw forms that must appear), months {YYYY-MM: [gifts,
  amount, recurring gifts, recurring amount, donors]}, first {YYYY-MM: n},
  value / engagement {segment: [donors, lifetime value]}, no_gift_value,
  campaigns [[id, raised, goal or null, gifts, donors]], once, repeat.
Money is compared to the cent (the page rounds), counts exactly. Exits 1
naming the first difference.
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
    s = s.replace(",", "")
    return float(s) if "." in s else int(s)


def same_money(a, b):
    return abs(a - b) <= 0.0051


def check_raw(raw, want):
    bad = ["http://", "https://", "<script", "src=", "url(", "@import"]
    if want["standalone"]:
        bad.append("href=")
    for b in bad:
        if b in raw.replace("<!DOCTYPE html>", ""):
            fail("the page contains %r" % b)
    for href in re.findall(r'href="([^"]*)"', raw):
        if not re.fullmatch(r"\?org=(all|[0-9]+)", href):
            fail("a link leads elsewhere than the selector: %r" % href)
    m = re.search(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", raw)
    if m:
        fail("the page shows an email address: %r" % m.group(0))
    for e in want["emails"]:
        if e.lower() in raw.lower():
            fail("the page shows a stored email: %r" % e)
    for n in want["names"]:
        if n in raw:
            fail("the page shows a donor's name: %r" % n)
    for e in want["escaped"]:
        if e not in raw:
            fail("the raw page lacks the escaped form %r" % e)


def figure(root, sec):
    s = root.find(".//section[@id='%s']" % sec)
    if s is None:
        fail("no section %s" % sec)
    svg = s.find("figure/svg")
    if svg is None or not text(svg.find("title")) or svg.find("desc") is None:
        fail("%s: no chart with a title and a description" % sec)
    if len(svg.findall(".//text[@class]")) < 1:
        fail("%s: the chart has no axis label" % sec)
    return s


def rows(sec, cls):
    t = sec.find(".//table[@class='data %s']" % cls)
    if t is None:
        fail("no table %s" % cls)
    return t.findall("tbody/tr")


def cell(tr, cls):
    for td in tr.findall("td"):
        if cls in (td.get("class") or "").split():
            return num(text(td))
    fail("no cell %s in a row" % cls)


def check_months(root, want):
    got = {}
    for tr in rows(figure(root, "months"), "months"):
        got[tr.get("data-month")] = [cell(tr, "gifts"), cell(tr, "amount"), cell(tr, "donors")]
    rec = {tr.get("data-month"): [cell(tr, "gifts"), cell(tr, "amount")]
           for tr in rows(figure(root, "recurring"), "recurring")}
    if len(got) != 24 or sorted(got) != sorted(rec):
        fail("want 24 months in both tables, got %d and %d" % (len(got), len(rec)))
    for m, (g, a, d) in got.items():
        e = want["months"].get(m, [0, 0, 0, 0, 0])
        if g != e[0] or not same_money(a, e[1]) or d != e[4]:
            fail("%s: page gifts/amount/donors %s, SQL %s" % (m, (g, a, d), (e[0], e[1], e[4])))
        if rec[m][0] != e[2] or not same_money(rec[m][1], e[3]):
            fail("%s: page recurring %s, SQL %s" % (m, rec[m], e[2:4]))
    extra = set(want["months"]) - set(got)
    if extra:
        fail("SQL has months the page lacks: %s" % sorted(extra))
    return got


def check_donors(root, want, months):
    sec = figure(root, "donors")
    for tr in rows(sec, "donors"):
        m = tr.get("data-month")
        first = want["first"].get(m, 0)
        donors = want["months"].get(m, [0, 0, 0, 0, 0])[4]
        got = (cell(tr, "donors"), cell(tr, "first-time"), cell(tr, "repeat"))
        if got != (donors, first, max(donors - first, 0)):
            fail("%s donors/first-time/repeat: page %s, SQL %s" % (m, got, (donors, first)))
    p = sec.find("p[@class='donor-split']")
    if int(p.get("data-once")) != want["once"] or int(p.get("data-repeat")) != want["repeat"]:
        fail("once/repeat: page %s/%s, SQL %s/%s" % (p.get("data-once"), p.get("data-repeat"),
                                                     want["once"], want["repeat"]))


def check_dist(root, want, sec_id):
    sec = figure(root, sec_id)
    got = {}
    for tr in rows(sec, sec_id):
        name = text(tr.find("td[@class='segment']"))
        got[name] = [cell(tr, "donors"), cell(tr, "value")]
    exp = want[sec_id]
    if sorted(got) != sorted(exp):
        fail("%s segments: page %s, SQL %s" % (sec_id, sorted(got), sorted(exp)))
    for k, (d, v) in got.items():
        if d != exp[k][0] or not same_money(v, exp[k][1]):
            fail("%s %s: page %s, SQL %s" % (sec_id, k, (d, v), exp[k]))
    if len(sec.findall("figure/svg/g[@class='s-a']/rect")) != len(exp):
        fail("%s: one bar per segment" % sec_id)
    if int(sec.find("p[@class='no-gift']").get("data-supporters")) != want["no_gift_" + sec_id]:
        fail("%s: supporters without a gift differ" % sec_id)


def check_campaigns(root, want):
    got = []
    for tr in rows(figure(root, "campaigns"), "campaigns"):
        goal = text([td for td in tr.findall("td") if "goal" in td.get("class", "")][0])
        got.append([int(tr.get("data-campaign")), cell(tr, "raised"),
                    None if goal == "none" else num(goal), cell(tr, "gifts"), cell(tr, "donors")])
    exp = want["campaigns"]
    if len(got) != len(exp):
        fail("campaigns: page %d, SQL %d" % (len(got), len(exp)))
    for g, e in zip(got, exp):
        if g[0] != e[0] or not same_money(g[1], e[1]) or g[3:] != e[3:] or \
           (g[2] is None) != (e[2] is None) or (g[2] is not None and not same_money(g[2], e[2])):
            fail("campaign rows differ:\n page %s\n SQL  %s" % (got, exp))


def main():
    raw = open(sys.argv[1], encoding="utf-8").read()
    want = json.load(open(sys.argv[2], encoding="utf-8"))
    try:
        root = ET.fromstring(raw.replace("<!DOCTYPE html>", "", 1))
    except ET.ParseError as e:
        fail("not well-formed: %s" % e)
    check_raw(raw, want)
    h1 = root.find(".//header/h1/bdi")
    if h1 is None or h1.text != want["scope"]:
        fail("scope rendered as %r, want %r" % (h1 is not None and h1.text, want["scope"]))
    nav = root.find(".//nav")
    if want["standalone"] != (nav is None):
        fail("a selector where there should be none, or the reverse")
    months = check_months(root, want)
    check_donors(root, want, months)
    check_dist(root, want, "value")
    check_dist(root, want, "engagement")
    check_campaigns(root, want)
    print("ok: %d months, %d campaigns" % (len(months), len(want["campaigns"])))


main()
