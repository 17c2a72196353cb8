package platform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	cpprocess "github.com/kumo-dev/kumo/internal/controlplane/process"
)

// ManagementComponents are the management plane's logs: the manager (Kumo's
// controllers, in `kumo up` itself) and the processes it runs.
var ManagementComponents = []string{"manager", "etcd", "kube-apiserver", "kube-controller-manager"}

// LogFile returns the log of a component: of the management plane when
// cluster is "", else of the tenant cluster's control plane. cluster is
// NAMESPACE/NAME, or NAME if only one namespace has a cluster of that name.
// component "" is the manager, or the cluster's kube-apiserver.
func LogFile(dataDir, cluster, component string) (string, error) {
	if cluster == "" {
		if component == "" {
			component = "manager"
		}
		if !slices.Contains(ManagementComponents, component) {
			return "", fmt.Errorf("no component %q in the management plane; one of %s", component, strings.Join(ManagementComponents, ", "))
		}
		path := filepath.Join(LogDir(dataDir), component+".log")
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("no %s log at %s: has a platform run with this data directory?", component, path)
		}
		return path, nil
	}
	c, err := findCluster(dataDir, cluster)
	if err != nil {
		return "", err
	}
	if component == "" {
		component = "kube-apiserver"
	}
	logs := filepath.Join(c.Dir, "logs")
	path := filepath.Join(logs, component+".log")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	var have []string
	entries, _ := os.ReadDir(logs)
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".log"); ok {
			have = append(have, name)
		}
	}
	msg := fmt.Sprintf("no %s log for cluster %s; it has: %s", component, cluster, strings.Join(have, ", "))
	if len(have) == 0 {
		msg = fmt.Sprintf("no logs for cluster %s yet: its control plane has not started", cluster)
	}
	if component == "etcd" {
		msg += " (tenant clusters keep their state in the management etcd: leave out the cluster for its log)"
	}
	return "", errors.New(msg)
}

// findCluster finds a cluster's folder by NAMESPACE/NAME, NAME or UID.
func findCluster(dataDir, name string) (cpprocess.Cluster, error) {
	all := cpprocess.Clusters(ClustersDir(dataDir))
	var found []cpprocess.Cluster
	var names []string
	for _, c := range all {
		full := c.Ref.String()
		if c.Ref.Name == "" {
			full = string(c.Ref.UID) // recorded before names were
		}
		names = append(names, full)
		if full == name || c.Ref.Name == name || string(c.Ref.UID) == name {
			found = append(found, c)
		}
	}
	slices.Sort(names)
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		var which []string
		for _, c := range found {
			which = append(which, c.Ref.String())
		}
		return cpprocess.Cluster{}, fmt.Errorf("clusters named %s are in several namespaces: %s; say which as NAMESPACE/NAME", name, strings.Join(which, ", "))
	case len(names) == 0:
		return cpprocess.Cluster{}, fmt.Errorf("no cluster %s: there are no clusters at %s", name, dataDir)
	default:
		return cpprocess.Cluster{}, fmt.Errorf("no cluster %s at %s; there are: %s", name, dataDir, strings.Join(names, ", "))
	}
}
