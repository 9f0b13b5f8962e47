package httpapi

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cxloop/cxloop/shared/domain/report"
)

// The dashboard's charts: inline SVG (charts.templ) with presentation
// attributes only (the pages' CSP allows no inline style), each with a
// title, a description and a data table next to it. The geometry is
// worked out here.

// bar is one row of a horizontal bar chart; Part is an optional part of
// Value drawn over it (overdue of open).
type bar struct {
	Label       string
	Value, Part int
	Text        string
}

type barRow struct {
	Label, Full, Text string
	Y, TextY          int
	W, PartW, ValueX  float64
	HasPart           bool
}

type barChart struct {
	ID            string
	Title         string
	Overdue       string // what the description adds when bars have an overdue part
	Width, Height int
	LabelX, BarX  int
	Rows          []barRow
	Empty         bool
}

const (
	barWidth  = 480
	barLabelW = 150
	barRowH   = 28
	barMaxW   = 190
)

func newBarChart(id string, bars []bar) barChart {
	c := barChart{ID: id, Title: "Time to close", Width: barWidth, LabelX: barLabelW - 8, BarX: barLabelW, Height: len(bars)*barRowH + 8}
	switch id {
	case "load":
		c.Title, c.Overdue = "Open and overdue loops", "; the red part of each bar is overdue"
	case "causes":
		c.Title = "Root causes"
	}
	top := 0
	for _, b := range bars {
		top = max(top, b.Value)
	}
	c.Empty = top == 0
	for i, b := range bars {
		y := 4 + i*barRowH
		w := 0.0
		if top > 0 {
			w = float64(b.Value) / float64(top) * barMaxW
		}
		row := barRow{Label: truncate(b.Label, 20), Full: b.Label, Text: b.Text, Y: y + 4, TextY: y + 18, W: round1(w), ValueX: round1(float64(barLabelW) + w + 6)}
		if b.Part > 0 && top > 0 {
			row.HasPart, row.PartW = true, round1(float64(b.Part)/float64(top)*barMaxW)
		}
		c.Rows = append(c.Rows, row)
	}
	return c
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }

// lineChart draws completion and within-SLA rate per period.
type lineChart struct {
	Width, Height            int
	Left, Right, Top, Bottom int
	Grid                     []gridLine
	Ticks                    []tick
	Completion, SLA          []string // polyline point lists; a gap in the data starts a new one
	Points                   []point
	Empty                    bool
	Summary                  string
}

type gridLine struct {
	Y     float64
	Label string
}

type tick struct {
	X      float64
	Label  string
	Anchor string // start, middle or end, so the edge labels stay inside
}

type point struct {
	X, Y  float64
	SLA   bool
	Title string
}

func newLineChart(series []report.Point, unit string) lineChart {
	c := lineChart{Width: 480, Height: 240, Left: 44, Right: 468, Top: 12, Bottom: 200}
	for p := 0; p <= 100; p += 25 {
		c.Grid = append(c.Grid, gridLine{Y: c.y(float64(p) / 100), Label: strconv.Itoa(p) + "%"})
	}
	n := len(series)
	c.Empty = true
	for _, p := range series {
		if p.Unhappy > 0 {
			c.Empty = false
		}
	}
	if n == 0 {
		return c
	}
	for k, i := range []int{0, n / 2, n - 1} {
		t := tick{X: c.x(i, n), Label: series[i].Start.Format("2 Jan"), Anchor: [...]string{"start", "middle", "end"}[k]}
		if n == 1 {
			t.Anchor = "middle"
		}
		if len(c.Ticks) > 0 && c.Ticks[len(c.Ticks)-1].X == t.X {
			continue
		}
		c.Ticks = append(c.Ticks, t)
	}
	line := func(get func(report.Point) *float64, sla bool, name string) []string {
		var out []string
		var cur []string
		for i, p := range series {
			v := get(p)
			if v == nil {
				if len(cur) > 0 {
					out = append(out, strings.Join(cur, " "))
				}
				cur = nil
				continue
			}
			x, y := c.x(i, n), c.y(*v)
			cur = append(cur, strconv.FormatFloat(x, 'f', 1, 64)+","+strconv.FormatFloat(y, 'f', 1, 64))
			c.Points = append(c.Points, point{X: x, Y: y, SLA: sla,
				Title: fmt.Sprintf("%s: %s %s", p.Start.Format("2 Jan"), name, pct(v))})
		}
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, " "))
		}
		return out
	}
	last := series[n-1]
	c.Summary = fmt.Sprintf("Share of each %s's unhappy answers whose loop is closed (solid line) and closed within the SLA (dashed line), from %s to %s. Latest %s: %s closed, %s within the SLA. The table below has every value.",
		unit, series[0].Start.Format("2 Jan 2006"), last.Start.Format("2 Jan 2006"), unit, pct(last.CompletionRate), pct(last.SLARate))
	c.Completion = line(func(p report.Point) *float64 { return p.CompletionRate }, false, "closed")
	c.SLA = line(func(p report.Point) *float64 { return p.SLARate }, true, "within SLA")
	return c
}

func (c lineChart) x(i, n int) float64 {
	if n <= 1 {
		return float64(c.Left+c.Right) / 2
	}
	return round1(float64(c.Left) + float64(i)*float64(c.Right-c.Left)/float64(n-1))
}

func (c lineChart) y(v float64) float64 {
	return round1(float64(c.Bottom) - v*float64(c.Bottom-c.Top))
}

// num formats a chart coordinate in as few digits as it needs (95, 137.3).
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// pointFill is the colour of a point: the within-SLA line's, or the
// completion line's.
func pointFill(sla bool) string {
	if sla {
		return "#15803d"
	}
	return "#1d4ed8"
}
