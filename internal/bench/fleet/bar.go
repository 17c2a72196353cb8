package fleet

import (
	"fmt"
	"io"
	"strings"
)

// bar draws progress on one terminal line (stderr), rewritten in place.
type bar struct {
	w    io.Writer
	last int // length of the last line, to blank it
}

func newBar(w io.Writer) *bar { return &bar{w: w} }

func (b *bar) show(line string) {
	pad := max(0, b.last-len(line))
	_, _ = fmt.Fprintf(b.w, "\r%s%s", line, strings.Repeat(" ", pad))
	b.last = len(line)
}

// fraction draws "what [#####     ] n/total extra".
func (b *bar) fraction(what string, n, total int, extra string) {
	const width = 30
	filled := 0
	if total > 0 {
		filled = width * n / total
	}
	b.show(fmt.Sprintf("%s [%s%s] %d/%d %s", what, strings.Repeat("#", filled), strings.Repeat(" ", width-filled), n, total, extra))
}

// done ends the line with a summary.
func (b *bar) done(line string) {
	b.show(line)
	_, _ = fmt.Fprintln(b.w)
	b.last = 0
}
