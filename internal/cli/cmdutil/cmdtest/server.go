package cmdtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/testenv"
)

// Main runs the tests of a package that uses New and stops the API server
// they shared, if one was started. Every such package needs
//
//	func TestMain(m *testing.M) { cmdtest.Main(m) }
func Main(m *testing.M) {
	shared.main = true
	code := m.Run()
	if s := shared.srv; s != nil {
		if err := s.close(); err != nil {
			fmt.Fprintf(os.Stderr, "cmdtest: stopping the API server: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// teams are the namespaces of World; they always exist.
var teams = []string{Namespace, "team-b"}

// asLabel marks the Roles and RoleBindings that As creates.
const asLabel = "cmdtest.kumo.dev/as"

// shared is the API server of the test binary, started on first use.
var shared struct {
	main bool // Main runs the tests
	once sync.Once
	srv  *server
	err  error
	mu   sync.Mutex // one preparation at a time
}

// identity is a user and what RBAC allows them in Namespace.
type identity struct {
	User  string              `json:"user"`
	Rules []rbacv1.PolicyRule `json:"rules"`
}

// server is a running etcd and kube-apiserver with Kumo's CRDs.
type server struct {
	env   *testenv.Env
	stop  func() error
	admin client.Client
	etcd  *clientv3.Client
	// namespaces are those cmdtest made; it owns everything in them.
	namespaces map[string]bool
	// loaded is what the last preparation put into the API, and state
	// what the API held right after it. While both match, the next Env
	// asking for the same objects gets the API as it is.
	loaded, state string
}

func startServer(t testing.TB) *server {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real API server (run without -short)")
	}
	if !shared.main {
		t.Fatal("cmdtest: the package's tests need `func TestMain(m *testing.M) { cmdtest.Main(m) }`, which stops the API server they share")
	}
	shared.once.Do(func() { shared.srv, shared.err = newServer() })
	if shared.err != nil {
		t.Fatalf("cmdtest: starting the API server: %v", shared.err)
	}
	return shared.srv
}

func newServer() (*server, error) {
	env, stop, err := testenv.StartShared()
	if err != nil {
		return nil, err
	}
	s := &server{env: env, stop: stop, admin: env.Client, namespaces: map[string]bool{}}
	s.etcd, err = clientv3.New(clientv3.Config{Endpoints: []string{env.EtcdURL}, DialTimeout: 10 * time.Second})
	if err != nil {
		_ = s.close()
		return nil, fmt.Errorf("connecting to etcd: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, ns := range teams {
		if err := s.ensureNamespace(ctx, ns); err != nil {
			_ = s.close()
			return nil, err
		}
	}
	return s, nil
}

func (s *server) close() error {
	if s.etcd != nil {
		_ = s.etcd.Close()
	}
	return s.stop()
}

// prepare makes the API hold e.objs (once per Env) and returns the server.
func (e *Env) prepare() *server {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv != nil {
		return e.srv
	}
	s := startServer(e.t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.load(ctx, e.objs, e.as); err != nil {
		e.t.Fatalf("cmdtest: preparing the API: %v", err)
	}
	if e.as != nil {
		cfg := rest.CopyConfig(s.env.Config)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: e.as.User}
		c, err := client.New(cfg, client.Options{Scheme: s.env.Scheme, Mapper: s.admin.RESTMapper()})
		if err != nil {
			e.t.Fatalf("cmdtest: building a client for %s: %v", e.as.User, err)
		}
		e.user = c
	}
	e.srv = s
	return s
}

// load replaces what cmdtest owns in the API with objs, and grants as.
func (s *server) load(ctx context.Context, objs []client.Object, as *identity) error {
	want, err := wanted(objs, as)
	if err != nil {
		return err
	}
	state, present, err := s.snapshot(ctx)
	if err != nil {
		return err
	}
	if want == s.loaded && state == s.state {
		return nil // nothing changed since the last preparation
	}
	s.loaded, s.state = "", ""
	if err := s.wipe(ctx, present); err != nil {
		return err
	}
	for _, o := range objs {
		if err := s.create(ctx, o); err != nil {
			return err
		}
	}
	if as != nil {
		if err := s.grant(ctx, as); err != nil {
			return err
		}
	}
	if s.state, _, err = s.snapshot(ctx); err != nil {
		return err
	}
	s.loaded = want
	return nil
}

// wanted describes objs and as, to tell whether two Envs want the same.
func wanted(objs []client.Object, as *identity) (string, error) {
	var b strings.Builder
	for _, o := range objs {
		data, err := json.Marshal(o)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%T %s\n", o, data)
	}
	if as != nil {
		data, err := json.Marshal(as)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "as %s\n", data)
	}
	return b.String(), nil
}

// snapshot lists what cmdtest owns in the API: every Cluster, Machine,
// Region, KubernetesRelease, TeamQuota and ClusterMigration; the Secrets and Events of its namespaces;
// the Roles and RoleBindings of As. state identifies the versions of them.
func (s *server) snapshot(ctx context.Context) (state string, objs []client.Object, err error) {
	lists := []client.ObjectList{
		&kumov1.ClusterList{}, &kumov1.MachineList{}, &kumov1.RegionList{}, &kumov1.KubernetesReleaseList{}, &kumov1.TeamQuotaList{},
		&kumov1.ClusterMigrationList{},
		&corev1.SecretList{}, &eventsv1.EventList{}, &rbacv1.RoleList{}, &rbacv1.RoleBindingList{},
	}
	var lines []string
	for _, list := range lists {
		if err := s.admin.List(ctx, list); err != nil {
			return "", nil, fmt.Errorf("listing %T: %w", list, err)
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return "", nil, err
		}
		for _, item := range items {
			o := item.(client.Object)
			switch o.(type) {
			case *corev1.Secret, *eventsv1.Event:
				if !s.namespaces[o.GetNamespace()] {
					continue
				}
			case *rbacv1.Role, *rbacv1.RoleBinding:
				if _, ok := o.GetLabels()[asLabel]; !ok {
					continue
				}
			}
			objs = append(objs, o)
			lines = append(lines, fmt.Sprintf("%T %s/%s %s", o, o.GetNamespace(), o.GetName(), o.GetResourceVersion()))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n"), objs, nil
}

// wipe deletes objs, finalizers or not.
func (s *server) wipe(ctx context.Context, objs []client.Object) error {
	for _, o := range objs {
		if len(o.GetFinalizers()) > 0 {
			patch := client.MergeFrom(o.DeepCopyObject().(client.Object))
			o.SetFinalizers(nil)
			if err := s.admin.Patch(ctx, o, patch); client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("removing the finalizers of %s: %w", describe(o), err)
			}
		}
		if err := s.admin.Delete(ctx, o); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting %s: %w", describe(o), err)
		}
	}
	return nil
}

// create creates a copy of o as a client would, writes its status through
// the status subresource, and stores the creationTimestamp o sets.
func (s *server) create(ctx context.Context, o client.Object) error {
	obj := o.DeepCopyObject().(client.Object)
	obj.SetResourceVersion("")
	obj.SetCreationTimestamp(metav1.Time{})
	if ns := obj.GetNamespace(); ns != "" {
		if err := s.ensureNamespace(ctx, ns); err != nil {
			return err
		}
	}
	if ev, ok := obj.(*eventsv1.Event); ok {
		if err := s.resolveUIDs(ctx, ev); err != nil {
			return fmt.Errorf("resolving the objects of %s: %w", describe(o), err)
		}
	}
	if err := s.admin.Create(ctx, obj); err != nil {
		return fmt.Errorf("creating %s: %w", describe(o), err)
	}
	if copyStatus(obj, o) {
		if err := s.admin.Status().Update(ctx, obj); err != nil {
			return fmt.Errorf("writing the status of %s: %w", describe(o), err)
		}
	}
	if created := o.GetCreationTimestamp(); !created.IsZero() {
		if err := s.setCreationTimestamp(ctx, obj, created); err != nil {
			return fmt.Errorf("setting the creationTimestamp of %s: %w", describe(o), err)
		}
	}
	return nil
}

// copyStatus sets the status of dst to that of src, for the kinds with a
// status subresource, and reports whether there is one to write.
func copyStatus(dst, src client.Object) bool {
	switch src := src.(type) {
	case *kumov1.Cluster:
		dst.(*kumov1.Cluster).Status = *src.Status.DeepCopy()
		return !reflect.ValueOf(src.Status).IsZero()
	case *kumov1.Machine:
		dst.(*kumov1.Machine).Status = *src.Status.DeepCopy()
		return !reflect.ValueOf(src.Status).IsZero()
	case *kumov1.Region:
		dst.(*kumov1.Region).Status = *src.Status.DeepCopy()
		return !reflect.ValueOf(src.Status).IsZero()
	case *kumov1.TeamQuota:
		dst.(*kumov1.TeamQuota).Status = *src.Status.DeepCopy()
		return !reflect.ValueOf(src.Status).IsZero()
	case *kumov1.ClusterMigration:
		dst.(*kumov1.ClusterMigration).Status = *src.Status.DeepCopy()
		return !reflect.ValueOf(src.Status).IsZero()
	}
	return false
}

// setCreationTimestamp stores obj in etcd with another creationTimestamp.
// The API server sets it on create and keeps it on every update, so a
// test that needs a cluster created three days ago writes it where the API
// server keeps its objects; the API server serves the change like any
// other (its watch cache follows etcd). Only custom resources, which are
// stored as JSON under /registry/<group>/<resource>/, can be changed.
func (s *server) setCreationTimestamp(ctx context.Context, obj client.Object, at metav1.Time) error {
	gvk, err := s.admin.GroupVersionKindFor(obj)
	if err != nil {
		return err
	}
	mapping, err := s.admin.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	key := "/registry/" + gvk.Group + "/" + mapping.Resource.Resource + "/"
	if ns := obj.GetNamespace(); ns != "" {
		key += ns + "/"
	}
	key += obj.GetName()
	resp, err := s.etcd.Get(ctx, key)
	if err != nil {
		return err
	}
	if len(resp.Kvs) != 1 {
		return fmt.Errorf("etcd has no key %s: only custom resources can have a creationTimestamp in cmdtest", key)
	}
	kv := resp.Kvs[0]
	if !bytes.HasPrefix(kv.Value, []byte("{")) {
		return fmt.Errorf("%s is not stored as JSON", key)
	}
	dec := json.NewDecoder(bytes.NewReader(kv.Value))
	dec.UseNumber()
	var stored map[string]any
	if err := dec.Decode(&stored); err != nil {
		return err
	}
	md, ok := stored["metadata"].(map[string]any)
	if !ok {
		return fmt.Errorf("%s has no metadata", key)
	}
	md["creationTimestamp"] = at.UTC().Format(time.RFC3339)
	data, err := json.Marshal(stored)
	if err != nil {
		return err
	}
	txn, err := s.etcd.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision)).
		Then(clientv3.OpPut(key, string(data))).
		Commit()
	if err != nil {
		return err
	}
	if !txn.Succeeded {
		return fmt.Errorf("%s changed meanwhile", key)
	}
	return nil
}

func (s *server) ensureNamespace(ctx context.Context, name string) error {
	if s.namespaces[name] {
		return nil
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := s.admin.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	s.namespaces[name] = true
	return nil
}

// grant binds as.User to a Role of as.Rules in Namespace, and waits until
// the API server's authorizer allows what the rules say.
func (s *server) grant(ctx context.Context, as *identity) error {
	name := "cmdtest-" + as.User
	labels := map[string]string{asLabel: "true"}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: name, Labels: labels}, Rules: as.Rules}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: name, Labels: labels},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: as.User}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
	}
	for _, o := range []client.Object{role, binding} {
		if err := s.admin.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %s: %w", describe(o), err)
		}
	}
	// The authorizer learns of new RBAC objects through a watch.
	for _, r := range as.Rules {
		if len(r.Verbs) == 0 || len(r.APIGroups) == 0 || len(r.Resources) == 0 {
			continue
		}
		attrs := &authorizationv1.ResourceAttributes{Namespace: Namespace, Verb: r.Verbs[0], Group: r.APIGroups[0], Resource: r.Resources[0]}
		if len(r.ResourceNames) > 0 {
			attrs.Name = r.ResourceNames[0]
		}
		err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: as.User, Groups: []string{"system:authenticated"}, ResourceAttributes: attrs,
			}}
			if err := s.admin.Create(ctx, review); err != nil {
				return false, err
			}
			return review.Status.Allowed, nil
		})
		if err != nil {
			return fmt.Errorf("waiting for RBAC to allow %s %q to %s %s: %w", as.User, attrs.Verb, attrs.Resource, Namespace, err)
		}
	}
	return nil
}

// resolveUIDs gives an Event's regarding and related objects that name no
// UID the UIDs the API server gave them, when they exist: a test cannot
// know those UIDs when it writes the Event, and kumoctl matches events to
// objects by UID. A reference to an object that does not exist, or that
// names a UID, is kept as it is.
func (s *server) resolveUIDs(ctx context.Context, ev *eventsv1.Event) error {
	refs := []*corev1.ObjectReference{&ev.Regarding}
	if ev.Related != nil {
		refs = append(refs, ev.Related)
	}
	for _, ref := range refs {
		if ref.UID != "" || ref.Kind == "" {
			continue
		}
		if ref.APIVersion == "" {
			ref.APIVersion = kumov1.GroupVersion.String()
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind))
		err := s.admin.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, u)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		ref.UID = u.GetUID()
	}
	return nil
}

func describe(o client.Object) string {
	name := o.GetName()
	if ns := o.GetNamespace(); ns != "" {
		name = ns + "/" + name
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", o), "*") + " " + name
}
