package httpapi

import (
	"net/http"
	"strconv"
)

// renderLogin sends the sign-in page: the form when csrf is set, else a
// link back to the dashboard.
func (d *dashboard) renderLogin(w http.ResponseWriter, code int, title, heading, problem, csrf string) {
	p := d.s.startPage("en", title)
	p.put(`<div class="signin">`+"\n<h1>%s</h1>\n", heading)
	if problem != "" {
		p.put(`<p class="error" role="alert">%s</p>`+"\n", problem)
	}
	switch {
	case csrf == "":
		p.put(`<p><a href="/dashboard">Back to the dashboard</a></p>` + "\n")
	case d.sess.key == nil:
		p.put("<p>Sign-in is not set up: this deployment has no API key.</p>\n")
	default:
		p.put(`<p>The closed-loop dashboard is for leaders of %s. Sign in with the deployment's API key; you stay signed in for 12 hours on this browser.</p>
<form method="post" action="/dashboard/login">
<input type="hidden" name="csrf" value="%s">
<div class="field"><label for="api_key">API key</label>
<input type="password" id="api_key" name="api_key" required autocomplete="current-password" spellcheck="false" autocapitalize="off"></div>
<button type="submit">Sign in</button>
</form>
`, d.s.app.Config().Org, csrf)
	}
	p.put("</div>\n")
	sendPage(w, code, p)
}

// renderDashboard sends the dashboard: the range form, then the report, or
// the problem with the range when v is nil.
func (d *dashboard) renderDashboard(w http.ResponseWriter, code int, csrf string, f rangeForm, problem string, v *dashView) {
	selected := func(groupBy string) string {
		if f.GroupBy == groupBy {
			return " selected"
		}
		return ""
	}
	p := d.s.startPage("en", "Closed-loop dashboard")
	p.put(`<div class="dash">
<div class="dash-head">
<h1>Closed-loop dashboard</h1>
<form method="post" action="/dashboard/logout" class="signout">
<input type="hidden" name="csrf" value="%s">
<button type="submit" class="secondary">Sign out</button>
</form>
</div>

<form method="get" action="/dashboard" class="range" aria-label="Report range">
<div class="field"><label for="from">From</label><input type="date" id="from" name="from" value="%s"></div>
<div class="field"><label for="to">To (not included)</label><input type="date" id="to" name="to" value="%s"></div>
<div class="field"><label for="group_by">Group by</label>
<select id="group_by" name="group_by">
<option value="owner"`+selected("owner")+`>Owner</option>
<option value="team"`+selected("team")+`>Team</option>
</select></div>
<div class="field"><label for="tz">Timezone (IANA, empty for UTC)</label><input type="text" id="tz" name="tz" value="%s" placeholder="Europe/Madrid" autocomplete="off" spellcheck="false"></div>
<div class="field"><button type="submit">Show</button></div>
</form>
`, csrf, f.From, f.To, f.TZ)
	if problem != "" {
		p.put(`<p class="error" role="alert">%s</p>`+"\n", problem)
	}
	if v != nil {
		v.write(p)
	}
	p.put("</div>\n")
	sendPage(w, code, p)
}

// write writes the report's figures, charts and tables.
func (v *dashView) write(p *page) {
	p.put(`<p class="meta">Unhappy answers from %s (%s), as of %s. A loop counts for the owner who held it at that time; loops closed later count as open.</p>

<h2 id="headline">Headline figures</h2>
<ul class="cards" aria-labelledby="headline">
`, v.Range, v.TZ, v.AsOf)
	for _, c := range v.Cards {
		if c.Class != "" {
			p.put(`<li class="card %s">`, c.Class)
		} else {
			p.put(`<li class="card">`)
		}
		p.put(`<span class="label">%s</span> <span class="num">%s</span>`, c.Label, c.Value)
		if c.Note != "" {
			p.put(` <span class="sub">%s</span>`, c.Note)
		}
		p.put("</li>\n")
	}
	p.put(`</ul>

<section aria-labelledby="trend-h">
<h2 id="trend-h">Completion and within-SLA rate over time</h2>
`)
	v.Trend.write(p)
	period := "Day"
	if v.SeriesUnit == "week" {
		period = "Week"
	}
	p.put(`<details class="data"><summary>Data table: per %s</summary>
<div class="table-wrap" role="region" tabindex="0" aria-labelledby="tcap-1"><table>
<caption id="tcap-1">Per %s: unhappy answers and how many are closed</caption>
<thead><tr><th scope="col">%s</th><th scope="col" class="n">Unhappy</th><th scope="col" class="n">Closed</th><th scope="col" class="n">Within SLA</th><th scope="col" class="n">Closed %</th><th scope="col" class="n">Within SLA %</th></tr></thead>
<tbody>`, v.SeriesUnit, v.SeriesUnit, period)
	for _, s := range v.Series {
		p.put(`<tr><th scope="row">%s</th><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td></tr>`+"\n",
			s.Period, strconv.Itoa(s.Unhappy), strconv.Itoa(s.Closed), strconv.Itoa(s.WithinSLA), s.CompletionRate, s.SLARate)
	}
	p.put(`</tbody>
</table></div>
</details>
</section>

<section aria-labelledby="load-h">
<h2 id="load-h">Open and overdue by %s</h2>
`, v.GroupLabel)
	if !v.Load.Empty {
		p.put(`<p class="legend"><span class="key open"></span> open, not yet due <span class="key overdue"></span> overdue</p>` + "\n")
	}
	v.Load.write(p)
	holder := "Owner"
	if v.GroupLabel == "team" {
		holder = "Team"
	}
	p.put(`<div class="table-wrap" role="region" tabindex="0" aria-labelledby="tcap-2"><table>
<caption id="tcap-2">Loops by %s, counted for whoever held each loop at the report's time; “held” counts every loop they held at any time</caption>
<thead><tr><th scope="col">%s</th><th scope="col" class="n">Open</th><th scope="col" class="n">Overdue</th><th scope="col" class="n">Unhappy</th><th scope="col" class="n">Closed</th><th scope="col" class="n">Closed %</th><th scope="col" class="n">Within SLA %</th><th scope="col" class="n">Median to first contact</th><th scope="col" class="n">Median to close</th><th scope="col" class="n">Put right</th><th scope="col" class="n">Held</th></tr></thead>
<tbody>`, v.GroupLabel, holder)
	for _, g := range v.Groups {
		p.put(`<tr><th scope="row">%s</th><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td></tr>`+"\n",
			g.Name, strconv.Itoa(g.Open), strconv.Itoa(g.Overdue), strconv.Itoa(g.Unhappy), strconv.Itoa(g.Closed),
			g.Completion, g.SLA, g.FirstContact, g.ToClose, g.Recovery, strconv.Itoa(g.Held))
	}
	if len(v.Groups) == 0 {
		p.put(`<tr><td colspan="11">No loops in this range.</td></tr>` + "\n")
	}
	p.put(`</tbody>
</table></div>
</section>

<section aria-labelledby="causes-h">
<h2 id="causes-h">Root causes of closed loops</h2>
`)
	v.Causes.write(p)
	p.put(`<div class="table-wrap" role="region" tabindex="0" aria-labelledby="tcap-3"><table>
<caption id="tcap-3" class="sr">Root causes recorded by owners</caption>
<thead><tr><th scope="col">Root cause</th><th scope="col" class="n">Loops</th><th scope="col" class="n">Share of closed</th></tr></thead>
<tbody>`)
	writeCounts(p, v.CauseRows)
	if len(v.CauseRows) == 0 {
		p.put(`<tr><td colspan="3">No closed loops in this range.</td></tr>` + "\n")
	}
	p.put(`</tbody>
</table></div>
</section>

<section aria-labelledby="close-h">
<h2 id="close-h">Time to close</h2>
`)
	v.Close.write(p)
	p.put(`<div class="table-wrap" role="region" tabindex="0" aria-labelledby="tcap-4"><table>
<caption id="tcap-4" class="sr">Closed loops by hours from the unhappy answer to closing</caption>
<thead><tr><th scope="col">Hours to close</th><th scope="col" class="n">Loops</th><th scope="col" class="n">Share of closed</th></tr></thead>
<tbody>`)
	writeCounts(p, v.CloseRows)
	p.put(`</tbody>
</table></div>
</section>

<section aria-labelledby="notes-h">
<h2 id="notes-h">Notes that may not have reached the customer</h2>
`)
	if len(v.Notes) == 0 {
		p.put("<p>Every personal note of this period was handed to the customer's provider.</p>\n")
	} else {
		p.put(`<p>The owner closed these loops with a personal note that may not have arrived: someone should reach the customer another way.</p>
<div class="table-wrap" role="region" tabindex="0" aria-labelledby="tcap-notes"><table>
<caption id="tcap-notes" class="sr">Notes that may not have reached the customer</caption>
<thead><tr><th scope="col">Task</th><th scope="col">Written by</th><th scope="col">When</th><th scope="col">What happened</th><th scope="col">Writer told</th></tr></thead>
<tbody>`)
		for _, n := range v.Notes {
			p.put("<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", n.ID, n.Writer, n.At, n.Problem, n.Told)
		}
		p.put("</tbody>\n</table></div>\n")
	}
	p.put(`</section>

<section aria-labelledby="failed-h">
<h2 id="failed-h">Failed loops</h2>
`)
	if len(v.Failed) == 0 {
		p.put("<p>No failed loops.</p>\n</section>\n")
		return
	}
	p.put(`<p>These loops' workflows failed, at any date: each still needs a person to follow up.</p>
<div class="table-wrap" role="region" tabindex="0" aria-labelledby="tcap-5"><table>
<caption id="tcap-5" class="sr">Loops whose workflow failed</caption>
<thead><tr><th scope="col">Task</th><th scope="col">Owner</th><th scope="col">Answered</th><th scope="col">What failed</th></tr></thead>
<tbody>`)
	for _, f := range v.Failed {
		p.put("<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td></tr>\n", f.ID, f.Owner, f.Answered, f.Failure)
	}
	p.put("</tbody>\n</table></div>\n")
	if v.FailedMore > 0 {
		p.put("<p>And %s more; see <code>GET /v1/tasks?status=failed</code>.</p>\n", strconv.Itoa(v.FailedMore))
	}
	p.put("</section>\n")
}

func writeCounts(p *page, rows []countRow) {
	for _, r := range rows {
		p.put(`<tr><th scope="row">%s</th><td class="n">%s</td><td class="n">%s</td></tr>`+"\n", r.Label, strconv.Itoa(r.Count), r.Share)
	}
}

// num formats a chart coordinate in as few digits as it needs (95, 137.3),
// as the templates did.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (c lineChart) write(p *page) {
	if c.Empty {
		p.put("<p>No unhappy answers in this range.</p>\n")
		return
	}
	p.put(`<svg class="chart" viewBox="0 0 %s %s" role="img" aria-labelledby="trend-title trend-desc" focusable="false">
<title id="trend-title">Completion and within-SLA rate per period</title>
<desc id="trend-desc">%s</desc>
`, strconv.Itoa(c.Width), strconv.Itoa(c.Height), c.Summary)
	left, right, top, bottom := strconv.Itoa(c.Left), strconv.Itoa(c.Right), strconv.Itoa(c.Top), strconv.Itoa(c.Bottom)
	for _, g := range c.Grid {
		y := num(g.Y)
		p.put(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#c8c8c8" stroke-width="1"/><text x="%s" dx="-6" y="%s" dy="4" text-anchor="end" font-size="11" fill="#4a4a4a">%s</text>`+"\n",
			left, right, y, y, left, y, g.Label)
	}
	for _, t := range c.Ticks {
		p.put(`<text x="%s" y="%s" dy="18" text-anchor="%s" font-size="11" fill="#4a4a4a">%s</text>`+"\n", num(t.X), bottom, t.Anchor, t.Label)
	}
	for _, pts := range c.Completion {
		p.put(`<polyline points="%s" fill="none" stroke="#1d4ed8" stroke-width="2.5"/>`+"\n", pts)
	}
	for _, pts := range c.SLA {
		p.put(`<polyline points="%s" fill="none" stroke="#15803d" stroke-width="2.5" stroke-dasharray="6 4"/>`+"\n", pts)
	}
	for _, pt := range c.Points {
		fill := "#1d4ed8"
		if pt.SLA {
			fill = "#15803d"
		}
		p.put(`<circle cx="%s" cy="%s" r="3.5" fill="%s"><title>%s</title></circle>`+"\n", num(pt.X), num(pt.Y), fill, pt.Title)
	}
	p.put(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#4a4a4a" stroke-width="1"/>
<g font-size="12" fill="#1a1a1a"><line x1="60" x2="84" y1="230" y2="230" stroke="#1d4ed8" stroke-width="2.5"/><text x="90" y="234">closed</text>
<line x1="160" x2="184" y1="230" y2="230" stroke="#15803d" stroke-width="2.5" stroke-dasharray="6 4"/><text x="190" y="234">closed within SLA</text></g>
</svg>
`, left, left, top, bottom)
}

func (c barChart) write(p *page) {
	if c.Empty {
		p.put("<p>Nothing to chart.</p>\n")
		return
	}
	title, overdue := "Time to close", ""
	switch c.ID {
	case "load":
		title, overdue = "Open and overdue loops", "; the red part of each bar is overdue"
	case "causes":
		title = "Root causes"
	}
	p.put(`<svg class="chart" viewBox="0 0 %s %s" role="img" aria-labelledby="%s-title %s-desc" focusable="false">
<title id="%s-title">%s</title>
<desc id="%s-desc">Horizontal bars, one per row of the table below%s.</desc>
`, strconv.Itoa(c.Width), strconv.Itoa(c.Height), c.ID, c.ID, c.ID, title, c.ID, overdue)
	labelX, barX := strconv.Itoa(c.LabelX), strconv.Itoa(c.BarX)
	for _, r := range c.Rows {
		y, textY := strconv.Itoa(r.Y), strconv.Itoa(r.TextY)
		p.put(`<g><title>%s: %s</title>
<text x="%s" y="%s" text-anchor="end" font-size="13" fill="#1a1a1a">%s</text>
<rect x="%s" y="%s" width="%s" height="18" fill="#1d4ed8"/>`, r.Full, r.Text, labelX, textY, r.Label, barX, y, num(r.W))
		if r.HasPart {
			p.put(`<rect x="%s" y="%s" width="%s" height="18" fill="#b91c1c"/>`, barX, y, num(r.PartW))
		}
		p.put("\n"+`<text x="%s" y="%s" font-size="13" fill="#1a1a1a">%s</text></g>`+"\n", num(r.ValueX), textY, r.Text)
	}
	p.put("</svg>\n")
}
