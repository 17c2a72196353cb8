package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MigrationApproval says who starts each step after the first.
// +kubebuilder:validation:Enum=Automatic;Manual
type MigrationApproval string

const (
	// ApprovalAutomatic: the next step starts as soon as the last one is healthy.
	ApprovalAutomatic MigrationApproval = "Automatic"
	// ApprovalManual: the next step waits until spec.approvedSteps reaches
	// it (`kumoctl migrate next`).
	ApprovalManual MigrationApproval = "Manual"
)

// ClusterMigrationSpec asks for a cluster's workers to move to another
// region in steps. Only workers move: control planes are hosted by the
// management plane, not in a region.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.rollback) || !oldSelf.rollback || (has(self.rollback) && self.rollback)",message="rollback cannot be set back to false; a rolled back migration is finished: delete it and start a new one"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.approvedSteps) || (has(self.approvedSteps) && self.approvedSteps >= oldSelf.approvedSteps)",message="approvedSteps cannot decrease"
type ClusterMigrationSpec struct {
	// ClusterName is the Cluster (in the same namespace) to move.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="clusterName is immutable"
	ClusterName string `json:"clusterName"`

	// TargetRegion is the Region the workers move to.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="targetRegion is immutable; roll back and start a new migration to go elsewhere"
	TargetRegion string `json:"targetRegion"`

	// Steps are the percentages of every node pool moved after each step,
	// strictly increasing and ending at 100.
	// +kubebuilder:default={25,50,100}
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:Minimum=1
	// +kubebuilder:validation:items:Maximum=100
	// +listType=set
	// +kubebuilder:validation:XValidation:rule="self.isSorted()",message="steps must be strictly increasing, e.g. [25, 50, 100]"
	// +kubebuilder:validation:XValidation:rule="self[size(self) - 1] == 100",message="the last step must be 100: a migration moves every node"
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="steps are immutable once the migration exists"
	// +optional
	Steps []int32 `json:"steps,omitempty"`

	// Approval is Automatic (each step starts when the last one is healthy)
	// or Manual (each step after the first waits for approvedSteps).
	// +kubebuilder:default=Automatic
	// +optional
	Approval MigrationApproval `json:"approval,omitempty"`

	// ApprovedSteps, with Manual approval, is how many steps may run; the
	// first always may. `kumoctl migrate next` raises it by one.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=20
	// +optional
	ApprovedSteps int32 `json:"approvedSteps,omitempty"`

	// Paused stops the migration where it is; a rollback still runs.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// Rollback, once true, moves every node back to the source region.
	// It cannot be set back to false. A Completed migration cannot roll back.
	// +optional
	Rollback bool `json:"rollback,omitempty"`

	// Soak is how long the old nodes stay, cordoned, after the last step
	// before they are deleted; a rollback is possible until then. "0s"
	// finishes at once (`kumoctl migrate finish` sets it).
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('0s')",message="soak must not be negative"
	// +optional
	Soak *metav1.Duration `json:"soak,omitempty"`
}

// MigrationPhase is a one-word summary of a migration.
type MigrationPhase string

const (
	MigrationPending            MigrationPhase = "Pending"
	MigrationMigrating          MigrationPhase = "Migrating"
	MigrationWaitingForApproval MigrationPhase = "WaitingForApproval"
	MigrationPaused             MigrationPhase = "Paused"
	MigrationSoaking            MigrationPhase = "Soaking"
	MigrationCompleted          MigrationPhase = "Completed"
	MigrationRollingBack        MigrationPhase = "RollingBack"
	MigrationRolledBack         MigrationPhase = "RolledBack"
	MigrationFailed             MigrationPhase = "Failed"
)

// Finished reports whether the phase is final: nothing more happens.
func (p MigrationPhase) Finished() bool {
	return p == MigrationCompleted || p == MigrationRolledBack || p == MigrationFailed
}

// ClusterMigrationStatus is the migration's progress. Together with the
// migration labels on Machines it is all a restarted manager needs.
type ClusterMigrationStatus struct {
	// Phase: Pending, Migrating, WaitingForApproval, Paused, Soaking,
	// Completed, RollingBack, RolledBack or Failed.
	// +optional
	Phase MigrationPhase `json:"phase,omitempty"`
	// Step is how many steps are complete.
	// +optional
	Step int32 `json:"step"`
	// SourceRegion is the region the workers move from, recorded when the
	// migration is accepted.
	// +optional
	SourceRegion string `json:"sourceRegion,omitempty"`
	// NodesInTarget and NodesInSource count the Ready nodes in each region
	// (cordoned ones included).
	// +optional
	NodesInTarget int32 `json:"nodesInTarget"`
	// +optional
	NodesInSource int32 `json:"nodesInSource"`
	// Draining counts the old nodes being drained right now.
	// +optional
	Draining int32 `json:"draining"`
	// StartedAt is when the migration was accepted.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// StepStartedAt is when the current step (or the rollback) started.
	// +optional
	StepStartedAt *metav1.Time `json:"stepStartedAt,omitempty"`
	// DrainStartedAt is when the current step began to drain old nodes;
	// DrainBlocked turns true once that is longer ago than the drain timeout.
	// +optional
	DrainStartedAt *metav1.Time `json:"drainStartedAt,omitempty"`
	// SoakStartedAt is when the last step completed.
	// +optional
	SoakStartedAt *metav1.Time `json:"soakStartedAt,omitempty"`
	// FinishedAt is when the migration completed, rolled back or failed.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// ObservedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Accepted (false with the reason a migration was refused),
	// Progressing (what the migration does or waits for) and DrainBlocked
	// (a drain outlasted the drain timeout; names the PodDisruptionBudget).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ClusterMigration moves a cluster's workers to another region in steps,
// surge first, with rollback until the soak ends. It is named after its
// cluster, so the API server itself refuses a second one for a cluster.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=kcm
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterName`
// +kubebuilder:printcolumn:name="Source",type=string,JSONPath=`.status.sourceRegion`,priority=1
// +kubebuilder:printcolumn:name="Target",type=string,JSONPath=`.spec.targetRegion`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Step",type=integer,JSONPath=`.status.step`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name == self.spec.clusterName",messageExpression="'a ClusterMigration is named after its cluster: metadata.name must be ' + self.spec.clusterName",reason=FieldValueInvalid
type ClusterMigration struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   ClusterMigrationSpec   `json:"spec,omitempty"`
	Status ClusterMigrationStatus `json:"status,omitempty"`
}

// ClusterMigrationList is a list of ClusterMigrations.
// +kubebuilder:object:root=true
type ClusterMigrationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterMigration `json:"items"`
}

// StepPercents returns the steps, or the default steps when none are set.
func (m *ClusterMigration) StepPercents() []int32 {
	if len(m.Spec.Steps) == 0 {
		return []int32{25, 50, 100}
	}
	return m.Spec.Steps
}

// Moved is how many of a pool's replicas have moved once a step reaching
// percent is complete: rounded up, so every step moves at least one node
// of a non-empty pool and 100% moves them all.
func Moved(replicas, percent int32) int32 {
	return (replicas*percent + 99) / 100
}

func init() {
	register(&ClusterMigration{}, &ClusterMigrationList{})
}
