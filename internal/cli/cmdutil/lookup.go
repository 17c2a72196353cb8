package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// GetCluster reads a cluster; a missing one is an error that names the
// closest existing clusters.
func GetCluster(ctx context.Context, c client.Client, namespace, name string) (*kumov1.Cluster, error) {
	cluster := &kumov1.Cluster{}
	err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, cluster)
	if err == nil {
		return cluster, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, APIError(err, "read cluster "+name, namespace)
	}
	msg := fmt.Sprintf("cluster %q not found in namespace %q", name, namespace)
	var list kumov1.ClusterList
	if c.List(ctx, &list, client.InNamespace(namespace)) != nil {
		return nil, Exit(ExitNotFound, "%s", msg) // nothing more is known
	}
	var names []string
	for _, cl := range list.Items {
		names = append(names, cl.Name)
	}
	if close := Closest(name, names, 3); len(close) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(quote(close), " or "))
	} else if len(names) == 0 {
		msg += "; it has no clusters"
		switch {
		case Allowed(ctx, c, "list", clustersResource, ""):
			msg += " (list all you can see with `kumoctl cluster list -A`)"
		case MayCreateClusters(ctx, c, namespace):
			msg += fmt.Sprintf("; create one with `kumoctl cluster create %s`", name)
		}
	}
	return nil, Exit(ExitNotFound, "%s", msg)
}

// Closest returns up to n candidates within a small edit distance of s,
// nearest first.
func Closest(s string, candidates []string, n int) []string {
	type scored struct {
		name string
		d    int
	}
	var out []scored
	for _, c := range candidates {
		d := levenshtein(s, c)
		if d <= max(2, len(s)/3) || strings.HasPrefix(c, s) || strings.HasPrefix(s, c) {
			out = append(out, scored{c, d})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].d != out[j].d {
			return out[i].d < out[j].d
		}
		return out[i].name < out[j].name
	})
	var names []string
	for i := 0; i < len(out) && i < n; i++ {
		names = append(names, out[i].name)
	}
	return names
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func quote(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// UpdateCluster reads a cluster, applies mutate and writes it back,
// retrying when someone else changed it in between.
func UpdateCluster(ctx context.Context, c client.Client, namespace, name string, mutate func(*kumov1.Cluster) error) (*kumov1.Cluster, error) {
	var cluster *kumov1.Cluster
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var err error
		if cluster, err = GetCluster(ctx, c, namespace, name); err != nil {
			return err
		}
		if err := mutate(cluster); err != nil {
			return err
		}
		return c.Update(ctx, cluster)
	})
	var coded *CodedError
	if err != nil && !errors.As(err, &coded) {
		return nil, APIError(err, "update cluster "+name, namespace)
	}
	return cluster, err
}

// FindPool returns the index of a pool, or an error naming the pools.
func FindPool(cluster *kumov1.Cluster, pool string) (int, error) {
	var names []string
	for i, p := range cluster.Spec.NodePools {
		if p.Name == pool {
			return i, nil
		}
		names = append(names, p.Name)
	}
	return -1, Exit(ExitNotFound, "cluster %s has no node pool %q; pools: %s", cluster.Name, pool, OrNone(strings.Join(names, ", ")))
}

// ListTeam lists into list the objects of the team's namespace, or with
// all of every namespace the user may read, sorted by namespace and name.
// It returns the namespace ("" with all), for messages.
func ListTeam(ctx context.Context, f *Factory, list client.ObjectList, all bool, what string) (string, error) {
	c, err := f.Client()
	if err != nil {
		return "", err
	}
	var opts []client.ListOption
	ns := ""
	if !all {
		if ns, err = f.Namespace(); err != nil {
			return "", err
		}
		opts = append(opts, client.InNamespace(ns))
	}
	if err := c.List(ctx, list, opts...); err != nil {
		return ns, APIError(err, "list "+what, ns)
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return ns, err
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i].(client.Object), items[j].(client.Object)
		if a.GetNamespace() != b.GetNamespace() {
			return a.GetNamespace() < b.GetNamespace()
		}
		return a.GetName() < b.GetName()
	})
	return ns, meta.SetList(list, items)
}
