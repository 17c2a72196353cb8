package process

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"
)

// startGate bounds how many control planes start at once, overall and per
// team, so that one team's burst cannot take all the CPU: an API server
// spends a few CPU-seconds starting, and eight starting side by side on
// two cores each take eight times as long, and so does the one start of
// another team among them. Control planes past the bounds wait in line.
// Teams take turns: the next to start is the oldest waiting one of the
// team with the fewest starting, of those the team served least recently,
// so a team that asks for one control plane passes a team that asked for
// twenty. A control plane leaves the gate when it is ready (or gave up, or
// was stopped), which lets the next one start.
type startGate struct {
	max, perTeam int

	mu       sync.Mutex
	starting map[*instance]bool
	// waiting is in arrival order.
	waiting []waiter
	// served holds, for each team in the gate, when it last had a control
	// plane admitted (a count of admissions): lower was longer ago.
	served map[string]uint64
	seq    uint64
	// closed stops all admissions: the runtime shuts down.
	closed bool
}

type waiter struct {
	inst  *instance
	start func()
}

// defaultMaxStarting is one start per CPU, at least two.
func defaultMaxStarting() int { return max(2, runtime.NumCPU()) }

func newStartGate(maxStarting, perTeam int) *startGate {
	if maxStarting <= 0 {
		maxStarting = defaultMaxStarting()
	}
	if perTeam <= 0 {
		perTeam = max(1, maxStarting/2)
	}
	return &startGate{max: maxStarting, perTeam: min(perTeam, maxStarting), starting: map[*instance]bool{}, served: map[string]uint64{}}
}

// enter puts a control plane in line; start is called, without the gate's
// lock, once it may start: at once, or from the leave that makes room.
func (g *startGate) enter(inst *instance, start func()) {
	g.mu.Lock()
	g.waiting = append(g.waiting, waiter{inst: inst, start: start})
	admitted := g.admit()
	g.mu.Unlock()
	for _, w := range admitted {
		w.start()
	}
}

// leave ends a control plane's start, or takes it out of line, and starts
// those that may start now. Leaving twice, or without entering, is a no-op.
func (g *startGate) leave(inst *instance) {
	g.mu.Lock()
	delete(g.starting, inst)
	g.waiting = slices.DeleteFunc(g.waiting, func(w waiter) bool { return w.inst == inst })
	if !g.has(inst.team) {
		delete(g.served, inst.team)
	}
	admitted := g.admit()
	g.mu.Unlock()
	for _, w := range admitted {
		w.start()
	}
}

// close admits no more control planes; those in line stay there.
func (g *startGate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
}

// admit moves the waiters that may start now to starting. g.mu is held.
func (g *startGate) admit() []waiter {
	var out []waiter
	for !g.closed && len(g.starting) < g.max {
		i := next(g.waiting, g.teamCounts(), g.served, g.perTeam)
		if i < 0 {
			break
		}
		w := g.waiting[i]
		g.waiting = slices.Delete(g.waiting, i, i+1)
		g.starting[w.inst] = true
		g.seq++
		g.served[w.inst.team] = g.seq
		out = append(out, w)
	}
	return out
}

// has reports whether a control plane of team starts or waits.
func (g *startGate) has(team string) bool {
	for inst := range g.starting {
		if inst.team == team {
			return true
		}
	}
	return slices.ContainsFunc(g.waiting, func(w waiter) bool { return w.inst.team == team })
}

func (g *startGate) teamCounts() map[string]int {
	counts := map[string]int{}
	for inst := range g.starting {
		counts[inst.team]++
	}
	return counts
}

// next is the index of the waiter to start next: of the teams with the
// fewest starting, the one served least recently; its oldest waiter. Teams
// with perTeam starting are passed over (perTeam 0: no bound). It is -1
// when none may start.
func next(waiting []waiter, counts map[string]int, served map[string]uint64, perTeam int) int {
	best := -1
	for i, w := range waiting {
		t := w.inst.team
		if perTeam > 0 && counts[t] >= perTeam {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		b := waiting[best].inst.team
		if counts[t] < counts[b] || (counts[t] == counts[b] && served[t] < served[b]) {
			best = i
		}
	}
	return best
}

// position reports how many control planes are starting and, if inst
// waits, how many would start before it if nothing else arrived.
func (g *startGate) position(inst *instance) (starting, ahead int, waiting bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	counts, served, seq := g.teamCounts(), maps.Clone(g.served), g.seq
	line := slices.Clone(g.waiting)
	for len(line) > 0 {
		// The order teams take turns in; the per-team bound only delays
		// a team's turn, so it is left out here.
		i := next(line, counts, served, 0)
		if line[i].inst == inst {
			return len(g.starting), ahead, true
		}
		team := line[i].inst.team
		counts[team]++
		seq++
		served[team] = seq
		line = slices.Delete(line, i, i+1)
		ahead++
	}
	return len(g.starting), 0, false
}

// pending counts the control planes starting or waiting to start.
func (g *startGate) pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.starting) + len(g.waiting)
}

// waitingMessage explains a control plane that waits to start.
func (g *startGate) waitingMessage(inst *instance) string {
	starting, ahead, waiting := g.position(inst)
	if !waiting {
		return "starting"
	}
	return fmt.Sprintf("waiting to start: %s starting, %d ahead of this one (at most %d at once, %d per team)",
		plural(starting, "control plane", "control planes"), ahead, g.max, g.perTeam)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
