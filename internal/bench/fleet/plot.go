package fleet

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// series is one line of a panel.
type series struct {
	name  string
	color string
	y     func(Result) float64
}

// panel is one chart: a quantity against fleet size.
type panel struct {
	title string
	lines []series
}

// Plot writes an SVG of time and memory against fleet size, with a dashed
// "linear" line through the origin and the smallest fleet's value, so that
// growth worse than linear shows at a glance.
func Plot(w io.Writer, results []Result) error {
	rs := slices.Clone(results)
	slices.SortFunc(rs, func(a, b Result) int { return a.Clusters - b.Clusters })
	if len(rs) == 0 {
		return fmt.Errorf("nothing to plot")
	}
	panels := []panel{
		{title: "seconds", lines: []series{
			{"all Ready from empty", "#1f77b4", func(r Result) float64 { return r.AllReadySeconds }},
			{"fleet event (every pool +1)", "#ff7f0e", func(r Result) float64 { return r.FleetEventSeconds }},
		}},
		{title: "manager peak RSS (MiB)", lines: []series{
			{"manager peak RSS", "#2ca02c", func(r Result) float64 { return float64(r.ManagerPeakRSSBytes) / (1 << 20) }},
		}},
	}
	const pw, ph, left, top, bottom, gap = 420, 300, 60, 40, 50, 40
	width := len(panels)*(pw+left+gap) + gap
	height := top + ph + bottom + 20*3
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	maxX := float64(rs[len(rs)-1].Clusters)
	for i, p := range panels {
		x0 := gap + i*(pw+left+gap) + left
		maxY := 0.0
		for _, s := range p.lines {
			for _, r := range rs {
				maxY = max(maxY, s.y(r))
			}
		}
		maxY = niceCeil(maxY * 1.1)
		px := func(x float64) float64 { return float64(x0) + x/maxX*pw }
		py := func(y float64) float64 { return float64(top+ph) - y/maxY*ph }
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">%s against clusters (%d nodes each)</text>`+"\n", x0, top-15, p.title, nodesPer(rs))
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", x0, top+ph, x0+pw, top+ph)
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", x0, top, x0, top+ph)
		for t := 0; t <= 4; t++ {
			y := maxY * float64(t) / 4
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-5, py(y)+4, trim(y))
			fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", x0, py(y), x0+pw, py(y))
		}
		for _, r := range rs {
			x := float64(r.Clusters)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", px(x), top+ph+15, r.Clusters)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">clusters</text>`+"\n", x0+pw/2, top+ph+32)
		for j, s := range p.lines {
			var pts []string
			for _, r := range rs {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(float64(r.Clusters)), py(s.y(r))))
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), s.color)
			for _, r := range rs {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(float64(r.Clusters)), py(s.y(r)), s.color)
			}
			// Linear growth from the smallest fleet, clipped to the panel.
			first := rs[0]
			slope := s.y(first) / float64(first.Clusters)
			endX := min(maxX, maxY/max(slope, 1e-9))
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="4 4"/>`+"\n",
				px(0), py(0), px(endX), py(slope*endX), s.color)
			ly := top + ph + bottom + 20*j
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", x0, ly-4, x0+20, ly-4, s.color)
			fmt.Fprintf(&b, `<text x="%d" y="%d">%s (dashed: linear from %d clusters)</text>`+"\n", x0+25, ly, s.name, first.Clusters)
		}
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func nodesPer(rs []Result) int {
	if rs[0].Clusters == 0 {
		return 0
	}
	return rs[0].Machines / rs[0].Clusters
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for p > v {
		p /= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func trim(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}
