package platform

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

// dataDirWithLogs is a data directory as `kumo up` leaves it: management
// logs, and clusters team-a/demo, team-b/demo and team-a/web with the logs
// of their components.
func dataDirWithLogs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []string{"manager", "etcd", "kube-apiserver"} {
		write(filepath.Join(LogDir(dir), c+".log"), c+"\n")
	}
	for uid, name := range map[string]string{"uid-1": "team-a/demo", "uid-2": "team-b/demo", "uid-3": "team-a/web"} {
		d := filepath.Join(ClustersDir(dir), uid)
		write(filepath.Join(d, "port"), "30001")
		write(filepath.Join(d, "cluster"), name)
		for _, c := range []string{"kube-apiserver", "kube-scheduler"} {
			write(filepath.Join(d, "logs", c+".log"), name+" "+c+"\n")
		}
	}
	return dir
}

func TestLogFile(t *testing.T) {
	dir := dataDirWithLogs(t)
	tests := map[string]struct {
		cluster, component string
		// want is the log's content; wantErr the error instead.
		want, wantErr string
	}{
		"the manager by default":     {want: "manager\n"},
		"a management component":     {component: "etcd", want: "etcd\n"},
		"a cluster's API server":     {cluster: "team-a/demo", want: "team-a/demo kube-apiserver\n"},
		"a cluster by a unique name": {cluster: "web", component: "kube-scheduler", want: "team-a/web kube-scheduler\n"},
		"a cluster by UID":           {cluster: "uid-2", want: "team-b/demo kube-apiserver\n"},
		"a name in two namespaces":   {cluster: "demo", wantErr: "clusters named demo are in several namespaces: team-a/demo, team-b/demo; say which as NAMESPACE/NAME"},
		"no such cluster":            {cluster: "team-c/x", wantErr: "no cluster team-c/x at " + dir + "; there are: team-a/demo, team-a/web, team-b/demo"},
		"no such component":          {cluster: "web", component: "kwok", wantErr: "no kwok log for cluster web; it has: kube-apiserver, kube-scheduler"},
		"no management log yet":      {component: "kube-controller-manager", wantErr: "no kube-controller-manager log at"},
		"not a management component": {component: "kube-scheduler", wantErr: `no component "kube-scheduler" in the management plane; one of manager, etcd, kube-apiserver, kube-controller-manager`},
		"a cluster's etcd is shared": {cluster: "web", component: "etcd", wantErr: "leave out the cluster for its log"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			path, err := LogFile(dir, tt.cluster, tt.component)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			data, err := os.ReadFile(path)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(data)).To(Equal(tt.want))
		})
	}
	g := NewWithT(t)
	_, err := LogFile(t.TempDir(), "demo", "")
	g.Expect(err).To(MatchError(ContainSubstring("there are no clusters at")))
}
