package cluster

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/pki"
)

const (
	saKeyKey = "sa.key"
	saPubKey = "sa.pub"
	// caValidity outlives any cluster we expect; rotation is a later feature.
	caValidity = 10 * 365 * 24 * time.Hour
)

func caSecretName(cluster string) string { return cluster + "-ca" }
func saSecretName(cluster string) string { return cluster + "-sa" }

// reconcileCertificates creates the cluster's CA and service-account key
// once. Create-or-get makes it safe to repeat: a second attempt after a crash
// finds the Secret and keeps it.
func (r *Reconciler) reconcileCertificates(ctx context.Context, s *scope) (ctrl.Result, error) {
	c := s.cluster
	if err := r.createOnce(ctx, c, caSecretName(c.Name), corev1.SecretTypeTLS, func() (map[string][]byte, error) {
		ca, err := pki.NewCA(c.Name+"-ca", caValidity)
		if err != nil {
			return nil, err
		}
		return map[string][]byte{corev1.TLSCertKey: ca.CertPEM, corev1.TLSPrivateKeyKey: ca.KeyPEM}, nil
	}); err != nil {
		return ctrl.Result{}, err
	}
	err := r.createOnce(ctx, c, saSecretName(c.Name), corev1.SecretTypeOpaque, func() (map[string][]byte, error) {
		key, pub, err := pki.NewServiceAccountKey()
		return map[string][]byte{saKeyKey: key, saPubKey: pub}, err
	})
	return ctrl.Result{}, err
}

func (r *Reconciler) createOnce(ctx context.Context, c *kumov1.Cluster, name string, typ corev1.SecretType, gen func() (map[string][]byte, error)) error {
	// The cache answers for every reconcile but the first few; a Secret it
	// does not show yet makes Create fail with AlreadyExists, which is fine.
	var existing corev1.Secret
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: name}, &existing)
	if err == nil || !apierrors.IsNotFound(err) {
		return err
	}
	data, err := gen()
	if err != nil {
		return fmt.Errorf("generating %s: %w", name, err)
	}
	sec := r.newSecret(c, name, typ, data)
	if err := r.Client.Create(ctx, sec); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating secret %s: %w", name, err)
	}
	return nil
}

func (r *Reconciler) newSecret(c *kumov1.Cluster, name string, typ corev1.SecretType, data map[string][]byte) *corev1.Secret {
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: c.Namespace, Name: name,
			Labels: map[string]string{kumov1.ClusterNameLabel: c.Name},
		},
		Type: typ,
		Data: data,
	}
	_ = controllerutil.SetControllerReference(c, sec, r.Client.Scheme())
	return sec
}

// secret reads a Secret straight from the API server: a Secret just created
// may not be in the informer cache yet.
func (r *Reconciler) secret(ctx context.Context, c *kumov1.Cluster, name string) (*corev1.Secret, error) {
	var sec corev1.Secret
	key := client.ObjectKey{Namespace: c.Namespace, Name: name}
	err := r.Client.Get(ctx, key, &sec)
	if apierrors.IsNotFound(err) {
		// Created by this reconcile, and not in the cache yet.
		err = r.APIReader.Get(ctx, key, &sec)
	}
	if err != nil {
		return nil, fmt.Errorf("reading secret %s: %w", name, err)
	}
	return &sec, nil
}

// reconcileEndpoint records where the API server listens, once.
func (r *Reconciler) reconcileEndpoint(ctx context.Context, s *scope) (ctrl.Result, error) {
	c := s.cluster
	if c.Spec.ControlPlane.Endpoint != nil {
		return ctrl.Result{}, nil
	}
	host, port, err := r.Runtime.AllocateEndpoint(ctx, ref(c))
	if err != nil {
		return ctrl.Result{}, err
	}
	patch := client.MergeFrom(c.DeepCopy())
	c.Spec.ControlPlane.Endpoint = &kumov1.APIEndpoint{Host: host, Port: port}
	// A conflicting write (another endpoint recorded meanwhile) fails the
	// CEL immutability rule; the next reconcile uses the recorded one.
	if err := r.Client.Patch(ctx, c, patch); err != nil {
		return ctrl.Result{}, fmt.Errorf("recording control plane endpoint: %w", err)
	}
	return ctrl.Result{}, nil
}

// reconcileKubeconfig publishes an admin kubeconfig for the tenant, and
// re-issues it when the endpoint or CA it was made for changes.
func (r *Reconciler) reconcileKubeconfig(ctx context.Context, s *scope) (ctrl.Result, error) {
	c := s.cluster
	ca, err := r.secret(ctx, c, caSecretName(c.Name))
	if err != nil {
		return ctrl.Result{}, err
	}
	server := fmt.Sprintf("https://%s:%d", c.Spec.ControlPlane.Endpoint.Host, c.Spec.ControlPlane.Endpoint.Port)
	name := kumov1.KubeconfigSecretName(c.Name)
	var existing corev1.Secret
	err = r.Client.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: name}, &existing)
	found := err == nil
	if found && kubeconfigCurrent(existing.Data[kumov1.KubeconfigSecretKey], server, ca.Data[corev1.TLSCertKey]) {
		c.Status.KubeconfigSecret = name
		return ctrl.Result{}, nil
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	caKP, err := pki.ParseKeyPair(ca.Data[corev1.TLSCertKey], ca.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("reading CA of %s: %w", c.Name, err)
	}
	admin, err := caKP.Issue(pki.CertConfig{
		CommonName: "kumo-admin", Organization: []string{"system:masters"},
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, Validity: 365 * 24 * time.Hour,
	})
	if err != nil {
		return ctrl.Result{}, err
	}
	kc, err := pki.Kubeconfig(c.Name, server, ca.Data[corev1.TLSCertKey], "admin", admin.CertPEM, admin.KeyPEM)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !found {
		sec := r.newSecret(c, name, corev1.SecretTypeOpaque, map[string][]byte{kumov1.KubeconfigSecretKey: kc})
		if err := r.Client.Create(ctx, sec); err != nil && !apierrors.IsAlreadyExists(err) {
			return ctrl.Result{}, fmt.Errorf("creating kubeconfig secret: %w", err)
		}
	} else {
		existing.Data = map[string][]byte{kumov1.KubeconfigSecretKey: kc}
		if err := r.Client.Update(ctx, &existing); err != nil {
			return ctrl.Result{}, fmt.Errorf("updating kubeconfig secret: %w", err)
		}
	}
	c.Status.KubeconfigSecret = name
	return ctrl.Result{}, nil
}

// kubeconfigCurrent reports whether kc points at server and trusts caPEM.
func kubeconfigCurrent(kc []byte, server string, caPEM []byte) bool {
	if len(kc) == 0 {
		return false
	}
	cfg, err := clientcmd.Load(kc)
	if err != nil {
		return false
	}
	for _, cl := range cfg.Clusters {
		if cl.Server != server || !bytes.Equal(cl.CertificateAuthorityData, caPEM) {
			return false
		}
	}
	return len(cfg.Clusters) == 1
}
