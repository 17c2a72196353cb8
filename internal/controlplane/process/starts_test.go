package process

import (
	"testing"

	. "github.com/onsi/gomega"
)

// TestStartGate: at most max control planes start at once and at most
// perTeam of one team; when one is ready, the next to start is the oldest
// of the team with the fewest starting, so one team's burst does not hold
// up another team's single cluster.
func TestStartGate(t *testing.T) {
	type step struct {
		// enter puts control planes in line ("a1" is team a's first), leave
		// ends a start.
		enter, leave []string
		// close closes the gate before the leaves.
		close bool
		// started is what the step started, in order.
		started []string
	}
	tests := map[string]struct {
		max, perTeam int
		steps        []step
	}{
		"a burst waits its turn, another team passes it": {
			max: 2, perTeam: 1,
			steps: []step{
				{enter: []string{"a1", "a2", "a3", "a4"}, started: []string{"a1"}},
				{enter: []string{"b1"}, started: []string{"b1"}},
				{leave: []string{"a1"}, started: []string{"a2"}},
				{enter: []string{"c1"}},
				{leave: []string{"b1"}, started: []string{"c1"}},
				{leave: []string{"a2"}, started: []string{"a3"}},
			},
		},
		"the overall bound holds with many teams": {
			max: 2, perTeam: 2,
			steps: []step{
				{enter: []string{"a1", "a2", "a3"}, started: []string{"a1", "a2"}},
				{enter: []string{"b1", "c1"}},
				// Teams b and c have none starting, a has one: b first (oldest).
				{leave: []string{"a1"}, started: []string{"b1"}},
				// a and c have none starting: c, which was not served yet.
				{leave: []string{"a2"}, started: []string{"c1"}},
				{leave: []string{"b1", "c1"}, started: []string{"a3"}},
			},
		},
		"leaving the line before starting": {
			max: 1, perTeam: 1,
			steps: []step{
				{enter: []string{"a1", "a2", "b1"}, started: []string{"a1"}},
				{leave: []string{"b1"}},
				{leave: []string{"a1"}, started: []string{"a2"}},
				// Leaving twice, or what never entered, changes nothing.
				{leave: []string{"a1", "x9"}},
			},
		},
		"closed: nothing starts any more": {
			max: 1, perTeam: 1,
			steps: []step{
				{enter: []string{"a1", "b1"}, started: []string{"a1"}},
				{close: true, leave: []string{"a1"}},
				{enter: []string{"c1"}},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			gate := newStartGate(tc.max, tc.perTeam)
			insts := map[string]*instance{}
			inst := func(name string) *instance {
				if insts[name] == nil {
					insts[name] = &instance{team: name[:1]}
				}
				return insts[name]
			}
			var started []string
			for i, s := range tc.steps {
				started = nil
				for _, name := range s.enter {
					gate.enter(inst(name), func() { started = append(started, name) })
				}
				if s.close {
					gate.close()
				}
				for _, name := range s.leave {
					gate.leave(inst(name))
				}
				g.Expect(started).To(Equal(s.started), "step %d", i)
				g.Expect(len(gate.starting)).To(BeNumerically("<=", tc.max))
				for team, n := range gate.teamCounts() {
					g.Expect(n).To(BeNumerically("<=", tc.perTeam), "team %s", team)
				}
			}
		})
	}
}

// TestStartGateMessage: a waiting control plane learns how many start and
// how many will start before it.
func TestStartGateMessage(t *testing.T) {
	g := NewWithT(t)
	gate := newStartGate(2, 1)
	var a, b []*instance
	for i := range 4 {
		a = append(a, &instance{team: "a"})
		gate.enter(a[i], func() {})
	}
	b = append(b, &instance{team: "b"}, &instance{team: "b"})
	for _, inst := range b {
		gate.enter(inst, func() {})
	}
	// Starting: a0 and b0. Waiting: a1, a2, a3, b1; a and b take turns.
	g.Expect(gate.waitingMessage(a[0])).To(Equal("starting"))
	g.Expect(gate.waitingMessage(a[1])).To(Equal("waiting to start: 2 control planes starting, 0 ahead of this one (at most 2 at once, 1 per team)"))
	g.Expect(gate.waitingMessage(b[1])).To(HavePrefix("waiting to start: 2 control planes starting, 1 ahead"))
	g.Expect(gate.waitingMessage(a[3])).To(HavePrefix("waiting to start: 2 control planes starting, 3 ahead"))
	g.Expect(gate.pending()).To(Equal(6))
}

// TestStartGateDefaults: one start per CPU (at least two), half of them
// per team (at least one).
func TestStartGateDefaults(t *testing.T) {
	g := NewWithT(t)
	gate := newStartGate(0, 0)
	g.Expect(gate.max).To(Equal(defaultMaxStarting()))
	g.Expect(gate.max).To(BeNumerically(">=", 2))
	g.Expect(gate.perTeam).To(Equal(max(1, gate.max/2)))
	g.Expect(newStartGate(3, 5).perTeam).To(Equal(3), "a team bound above the overall one is the overall one")
}
