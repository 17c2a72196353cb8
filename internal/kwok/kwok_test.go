package kwok

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kumo-dev/kumo/internal/testenv"
)

func TestStagesCoverNodesAndPods(t *testing.T) {
	g := NewWithT(t)
	stages, err := Stages()
	g.Expect(err).NotTo(HaveOccurred())
	var nodes, pods int
	for ref, ss := range stages {
		switch ref.Kind {
		case "Node":
			nodes += len(ss)
		case "Pod":
			pods += len(ss)
		}
	}
	g.Expect(nodes).To(Equal(2), "initialize and heartbeat")
	g.Expect(pods).To(Equal(3), "ready, complete and delete")
}

// TestPlaysKubelets runs kwok in this process against a real API server:
// an annotated Node turns Ready and keeps the versions it registered with,
// a Pod bound to it runs, an unannotated Node is left alone, and kwok
// stopped and started again in the same process (a restarted control
// plane) still works.
func TestPlaysKubelets(t *testing.T) {
	env := testenv.Start(t)
	g := NewWithT(t)
	kubeconfig := writeKubeconfig(t, env.Config)
	cs, err := kubernetes.NewForConfig(env.Config)
	g.Expect(err).NotTo(HaveOccurred())
	ctx := context.Background()

	run := func() (stop func()) {
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); Run(runCtx, Options{Kubeconfig: kubeconfig, NodeLeaseDurationSeconds: 40}) }()
		return func() { cancel(); <-done }
	}
	stop := run()
	newNode := func(name string, simulated bool) {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{NodeInfo: NodeInfo("v1.36.3")}}
		if simulated {
			n.Annotations = map[string]string{NodeAnnotation: NodeAnnotationValue}
		}
		_, err := cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
		g.Expect(err).NotTo(HaveOccurred())
	}
	newNode("sim-1", true)
	newNode("real-1", false)
	g.Eventually(func(g Gomega) {
		n, err := cs.CoreV1().Nodes().Get(ctx, "sim-1", metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(ready(n)).To(BeTrue())
		g.Expect(n.Status.NodeInfo.KubeletVersion).To(Equal("v1.36.3"))
		g.Expect(n.Status.NodeInfo.OSImage).To(ContainSubstring("simulated"))
	}, time.Minute, 200*time.Millisecond).Should(Succeed())

	pod := func(name, node string) {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec: corev1.PodSpec{NodeName: node, AutomountServiceAccountToken: new(bool),
				Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}},
		}
		_, err := cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{})
		g.Expect(err).NotTo(HaveOccurred())
	}
	running := func(name string) func(Gomega) {
		return func(g Gomega) {
			p, err := cs.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning))
			g.Expect(p.Status.PodIP).NotTo(BeEmpty())
		}
	}
	pod("web", "sim-1")
	g.Eventually(running("web"), time.Minute, 200*time.Millisecond).Should(Succeed())

	stop()
	stop = run()
	defer stop()
	newNode("sim-2", true)
	pod("api", "sim-2")
	g.Eventually(running("api"), time.Minute, 200*time.Millisecond).Should(Succeed())

	n, err := cs.CoreV1().Nodes().Get(ctx, "real-1", metav1.GetOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ready(n)).To(BeFalse(), "a node without the annotation is a real kubelet's")
}

func ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func writeKubeconfig(t *testing.T, cfg *rest.Config) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["env"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["env"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["env"] = &clientcmdapi.Context{Cluster: "env", AuthInfo: "env"}
	kc.CurrentContext = "env"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	return path
}
