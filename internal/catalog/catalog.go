// Package catalog answers questions about the platform's Kubernetes
// releases (KubernetesRelease objects): which release a cluster runs, where
// it may upgrade to, and whether it is still supported. kumoctl and the
// controllers ask the same functions, so they cannot disagree.
package catalog

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// State is a release's state; an empty one is the API's default, Supported.
func State(r *kumov1.KubernetesRelease) kumov1.ReleaseState {
	if r.Spec.State == "" {
		return kumov1.ReleaseSupported
	}
	return r.Spec.State
}

// Sort orders releases newest first.
func Sort(releases []kumov1.KubernetesRelease) {
	sort.SliceStable(releases, func(i, j int) bool { return Less(releases[j].Spec.Version, releases[i].Spec.Version) })
}

// Find returns the release a cluster version names ("1.36.3" exactly, or
// "1.36": the newest release of the minor), nil when the catalog has none.
// releases are newest first.
func Find(releases []kumov1.KubernetesRelease, version string) *kumov1.KubernetesRelease {
	version = strings.TrimPrefix(version, "v")
	for i := range releases {
		v := releases[i].Spec.Version
		if v == version || strings.HasPrefix(v, version+".") {
			return &releases[i]
		}
	}
	return nil
}

// UpgradeTargets are the minors a cluster on version may upgrade to: the
// next minor, when the catalog has a Supported release of it. Never two
// minors at once (the Kubernetes version skew policy), never back.
// releases are newest first.
func UpgradeTargets(releases []kumov1.KubernetesRelease, version string) []string {
	next, ok := nextMinor(version)
	if !ok {
		return nil
	}
	if r := Find(releases, next); r != nil && State(r) == kumov1.ReleaseSupported {
		return []string{next}
	}
	return nil
}

// CheckUpgrade refuses an upgrade of a cluster on from to to, saying why:
// a version the catalog does not offer (or Removed, or not yet Supported),
// a downgrade, or a skipped minor.
func CheckUpgrade(releases []kumov1.KubernetesRelease, from, to string) error {
	from, to = strings.TrimPrefix(from, "v"), strings.TrimPrefix(to, "v")
	target := Find(releases, to)
	switch {
	case target == nil:
		return fmt.Errorf("kubernetes %s is not in the catalog (see `kumoctl versions`)", to)
	case State(target) != kumov1.ReleaseSupported:
		return fmt.Errorf("kubernetes %s is %s; upgrades go to Supported releases only", target.Spec.Version, State(target))
	}
	fromMinor, toMinor := Minor(from), Minor(target.Spec.Version)
	switch {
	case Less(target.Spec.Version, from) || Less(toMinor, fromMinor):
		return fmt.Errorf("cannot downgrade from %s to %s: Kubernetes does not support downgrades", from, to)
	case toMinor == fromMinor:
		return nil // a newer patch
	}
	if next, _ := nextMinor(from); next != toMinor {
		return fmt.Errorf("cannot upgrade from %s to %s: one minor at a time, %s first", fromMinor, toMinor, next)
	}
	return nil
}

// Support is what the Cluster's VersionSupported condition says of a
// cluster on version at now: whether its release is supported, why, and
// when to look again (the end of support may come closer; 0: no need).
type Support struct {
	OK      bool
	Reason  string
	Message string
	Recheck time.Duration
}

// Condition reasons of VersionSupported.
const (
	ReasonSupported        = "Supported"
	ReasonEndOfSupportSoon = "EndOfSupportSoon"
	ReasonEndOfSupport     = "EndOfSupport"
	ReasonDeprecated       = "Deprecated"
	ReasonRemoved          = "Removed"
	ReasonNotInCatalog     = "NotInCatalog"
)

// SupportOf says whether a cluster on version is supported at now.
// releases are newest first.
func SupportOf(releases []kumov1.KubernetesRelease, version string, now time.Time) Support {
	version = strings.TrimPrefix(version, "v")
	r := Find(releases, version)
	if r == nil {
		return Support{Reason: ReasonNotInCatalog, Message: fmt.Sprintf("Kubernetes %s is not in the platform's catalog", version)}
	}
	v := r.Spec.Version
	advice := upgradeAdvice(releases, v)
	var eos time.Time
	if r.Spec.EndOfSupport != nil {
		eos = r.Spec.EndOfSupport.UTC()
	}
	date := eos.Format(time.DateOnly)
	switch {
	case State(r) == kumov1.ReleaseRemoved:
		return Support{Reason: ReasonRemoved, Message: fmt.Sprintf("Kubernetes %s has been removed from the platform%s", v, advice)}
	case !eos.IsZero() && !now.Before(eos):
		return Support{Reason: ReasonEndOfSupport, Message: fmt.Sprintf("Kubernetes %s reached its end of support on %s%s", v, date, advice)}
	case State(r) == kumov1.ReleaseDeprecated:
		msg := fmt.Sprintf("Kubernetes %s is deprecated", v)
		if !eos.IsZero() {
			msg += "; support ends on " + date
		}
		return Support{Reason: ReasonDeprecated, Message: msg + advice, Recheck: until(now, eos)}
	case !eos.IsZero() && now.After(eos.Add(-kumov1.EndOfSupportWarning)):
		return Support{OK: true, Reason: ReasonEndOfSupportSoon, Recheck: until(now, eos),
			Message: fmt.Sprintf("Kubernetes %s reaches its end of support on %s (in %d days)%s", v, date, int(eos.Sub(now).Hours()/24)+1, advice)}
	}
	return Support{OK: true, Reason: ReasonSupported, Message: fmt.Sprintf("Kubernetes %s is %s", v, State(r)),
		Recheck: until(now, eos.Add(-kumov1.EndOfSupportWarning))}
}

// upgradeAdvice names where to go from v, as a message's tail.
func upgradeAdvice(releases []kumov1.KubernetesRelease, v string) string {
	if t := UpgradeTargets(releases, v); len(t) > 0 {
		return "; upgrade to " + strings.Join(t, " or ")
	}
	return ""
}

// until is how long from now to t; 0 when t is unset or past.
func until(now, t time.Time) time.Duration {
	if t.IsZero() || !t.After(now) || t.Year() < 2 {
		return 0
	}
	return t.Sub(now)
}

// Minor is "1.36" of "1.36.3" (a version without a patch is its own minor).
func Minor(version string) string {
	if i := strings.LastIndexByte(version, '.'); i > strings.IndexByte(version, '.') {
		return version[:i]
	}
	return version
}

// nextMinor is "1.37" of "1.36" or "1.36.3".
func nextMinor(version string) (string, bool) {
	major, rest, ok := strings.Cut(Minor(strings.TrimPrefix(version, "v")), ".")
	minor, err := strconv.Atoi(rest)
	if !ok || err != nil {
		return "", false
	}
	return major + "." + strconv.Itoa(minor+1), true
}

// Less orders "1.35.4" before "1.36.1", and "1.36" before "1.36.1".
func Less(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}
