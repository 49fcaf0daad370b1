package main

import (
	"bytes"
	"fmt"
	"html"
	"maps"
	"math"
	"slices"
)

// svg is an SVG document written as text: the pictures need rectangles,
// lines and text, and nothing else.
type svg struct {
	bytes.Buffer
}

func newSVG(width, height int, title string) *svg {
	s := &svg{}
	fmt.Fprintf(s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(s, "<title>%s</title>\n", html.EscapeString(title))
	fmt.Fprintf(s, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	return s
}

func (s *svg) rect(x, y, w, h float64, fill, extra string) {
	fmt.Fprintf(s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"%s/>`+"\n", x, y, math.Max(w, 1), h, fill, extra)
}

func (s *svg) line(x1, y1, x2, y2 float64, stroke, extra string) {
	fmt.Fprintf(s, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"%s/>`+"\n", x1, y1, x2, y2, stroke, extra)
}

func (s *svg) text(x, y float64, anchor, extra, t string) {
	fmt.Fprintf(s, `<text x="%.1f" y="%.1f" text-anchor="%s"%s>%s</text>`+"\n", x, y, anchor, extra, html.EscapeString(t))
}

func (s *svg) end() []byte {
	s.WriteString("</svg>\n")
	return s.Bytes()
}

// The colours of the pictures.
const (
	colOld      = "#aab2bd" // a container of the previous version
	colStarting = "#f2b134" // a new container, until it is ready and has held ready
	colReady    = "#3a9d5d" // a new container, ready
	colFailed   = "#d9534f" // a new container that never got ready
	colWaveA    = "#eaf1fb" // wave bands, alternating
	colWaveB    = "#d9e6f7"
	colText     = "#222222"
	colMuted    = "#666666"
)

// waveColours colour the instances of placement.svg by their wave.
var waveColours = []string{"#4e79a7", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2", "#edc948"}

// textWidth estimates the width of 12px sans-serif text, to lay out a
// legend without measuring fonts.
func textWidth(s string) float64 { return float64(len(s)) * 6.6 }

// panel is one apply in the timeline, with its caption.
type panel struct {
	Title string
	Apply *apply
}

// timeline draws the applies one under the other, on one time scale, an
// instance a row: its containers as bars, the waves as bands behind them,
// and the revert as a line.
func timeline(panels []panel) []byte {
	const (
		width  = 960
		left   = 150 // the instances' labels
		right  = 20
		rowH   = 28 // two lanes: the old container above, the new below
		barH   = 9
		titleH = 44
		axisH  = 30
		gap    = 18
		legend = 30
	)
	longest := 0.0
	height := legend
	for _, p := range panels {
		longest = math.Max(longest, p.Apply.Duration)
		height += titleH + len(p.Apply.Instances)*rowH + axisH + gap
	}
	height += 20 // a second line of legend
	span := math.Ceil(longest/5) * 5
	scale := float64(width-left-right) / span
	x := func(sec float64) float64 { return left + sec*scale }

	s := newSVG(width, height, "Rollout timeline: the containers of each instance during three applies")
	y := 0.0
	for _, p := range panels {
		a := p.Apply
		s.text(10, y+22, "start", ` font-size="14" font-weight="bold" fill="`+colText+`"`, p.Title)
		y += titleH
		top, rows := y, float64(len(a.Instances)*rowH)
		for i, w := range a.Waves {
			fill := colWaveA
			if i%2 == 1 {
				fill = colWaveB
			}
			s.rect(x(w.Start), top, x(w.End)-x(w.Start), rows, fill, "")
			s.text(x(w.Start)+3, top-4, "start", ` font-size="10" fill="`+colMuted+`"`, w.Label)
		}
		for i, inst := range a.Instances {
			ry := top + float64(i*rowH)
			s.text(left-10, ry+rowH/2+4, "end", ` fill="`+colText+`"`, inst+" on "+a.Hosts[inst])
			for _, sg := range a.Segments[inst] {
				by := ry + rowH/2 + 1
				switch {
				case sg.Old:
					by = ry + rowH/2 - barH - 1
					s.rect(x(sg.Start), by, x(sg.End)-x(sg.Start), barH, colOld, "")
				case sg.Failed || sg.Ready == 0:
					s.rect(x(sg.Start), by, x(sg.End)-x(sg.Start), barH, colFailed, "")
					s.text(x(sg.End)+4, by+barH, "start", ` font-size="10" fill="`+colFailed+`"`, "never ready")
				default:
					s.rect(x(sg.Start), by, x(sg.Ready)-x(sg.Start), barH, colStarting, "")
					s.rect(x(sg.Ready), by, x(sg.End)-x(sg.Ready), barH, colReady, "")
				}
			}
		}
		if a.Revert != nil {
			rx := x(*a.Revert)
			s.line(rx, top-14, rx, top+rows, colFailed, ` stroke-width="2" stroke-dasharray="4 3"`)
			s.text(rx+4, top-4, "start", ` font-size="11" font-weight="bold" fill="`+colFailed+`"`, "revert")
		}
		end := x(a.Duration)
		s.line(end, top, end, top+rows, colText, ` stroke-width="1"`)
		y = top + rows
		s.line(left, y+4, width-right, y+4, colMuted, "")
		for t := 0.0; t <= span; t += 5 {
			s.line(x(t), y+4, x(t), y+8, colMuted, "")
			s.text(x(t), y+20, "middle", ` font-size="10" fill="`+colMuted+`"`, fmt.Sprintf("%gs", t))
		}
		y += axisH + gap
	}
	lx, ly := 10.0, y
	for _, l := range []struct{ colour, label string }{
		{colOld, "previous version"},
		{colStarting, "new: starting, then held ready for min_healthy"},
		{colReady, "new: ready"},
		{colFailed, "new: not ready within healthy_deadline"},
		{"", "the apply ends"},
	} {
		w := 30 + textWidth(l.label) + 20
		if lx+w > width {
			lx, ly = 10, ly+20
		}
		if l.colour == "" {
			s.line(lx+12, ly+2, lx+12, ly+18, colText, "")
		} else {
			s.rect(lx, ly+4, 24, 12, l.colour, "")
		}
		s.text(lx+30, ly+14, "start", ` fill="`+colText+`"`, l.label)
		lx += w
	}
	return s.end()
}

// placement draws the hosts side by side, each with the app's instances
// on it, coloured by the rollout wave that replaces them.
func placement(app string, a *apply) []byte {
	const (
		width = 960
		chipW = 110
		chipH = 44
		pad   = 16
		top   = 60
	)
	byHost := map[string][]string{}
	for _, inst := range a.Instances {
		byHost[a.Hosts[inst]] = append(byHost[a.Hosts[inst]], inst)
	}
	hosts := slices.Sorted(maps.Keys(byHost))
	boxW := (width - pad*float64(len(hosts)+1)) / float64(len(hosts))
	perRow := max(1, int((boxW-pad)/(chipW+pad)))
	rows := 1
	for _, insts := range byHost {
		rows = max(rows, (len(insts)+perRow-1)/perRow)
	}
	boxH := 36 + float64(rows)*(chipH+pad)
	height := int(top + boxH + 60)

	title := fmt.Sprintf("Placement of %s: %d instances on %d hosts", app, len(a.Instances), len(hosts))
	s := newSVG(width, height, title)
	s.text(pad, 24, "start", ` font-size="14" font-weight="bold" fill="`+colText+`"`, title)
	s.text(pad, 44, "start", ` fill="`+colMuted+`"`, `spread = "host": as evenly over the hosts as they fit; each instance keeps its host across rollouts`)
	for i, h := range hosts {
		bx := pad + float64(i)*(boxW+pad)
		s.rect(bx, top, boxW, boxH, "#f6f7f9", ` stroke="#8a93a0" rx="6"`)
		s.text(bx+12, top+22, "start", ` font-size="13" font-weight="bold" fill="`+colText+`"`, "host "+h)
		for j, inst := range byHost[h] {
			cx := bx + pad + float64(j%perRow)*(chipW+pad)
			cy := top + 36 + float64(j/perRow)*(chipH+pad)
			w := a.WaveOf[inst]
			s.rect(cx, cy, chipW, chipH, waveColours[(w-1+len(waveColours))%len(waveColours)], ` rx="4"`)
			s.text(cx+chipW/2, cy+19, "middle", ` font-size="13" font-weight="bold" fill="#ffffff"`, inst)
			s.text(cx+chipW/2, cy+35, "middle", ` font-size="10" fill="#ffffff"`, fmt.Sprintf("wave %d", w))
		}
	}
	ly := top + boxH + 24
	lx := float64(pad)
	s.text(lx, ly+10, "start", ` fill="`+colText+`"`, "rollout waves:")
	lx += 100
	for w := 1; w <= len(a.Waves); w++ {
		s.rect(lx, ly, 24, 12, waveColours[(w-1)%len(waveColours)], ` rx="2"`)
		label := fmt.Sprintf("wave %d: %s", w, waveSize(a, w))
		s.text(lx+30, ly+10, "start", ` fill="`+colText+`"`, label)
		lx += 30 + textWidth(label) + 24
	}
	return s.end()
}

// waveSize says how many instances wave w replaces.
func waveSize(a *apply, w int) string {
	n := 0
	for _, v := range a.WaveOf {
		if v == w {
			n++
		}
	}
	if n == 1 {
		return "1 instance"
	}
	return fmt.Sprintf("%d instances", n)
}
