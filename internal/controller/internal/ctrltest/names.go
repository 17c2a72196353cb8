package ctrltest

import (
	"sync"
	_ "unsafe" // for go:linkname

	"k8s.io/apimachinery/pkg/util/sets"
	_ "sigs.k8s.io/controller-runtime/pkg/controller" // owns the names below
)

// controller-runtime refuses a second controller of the same name in one
// process (for the sake of its metrics), and manager.New offers no way to set
// SkipNameValidation. Tests start several managers in one process — one per
// test, and a second one to play a restarted Kumo — so they forget the names
// before each manager.New. Remove this once manager.Options can skip the
// validation.

//go:linkname controllerNameLock sigs.k8s.io/controller-runtime/pkg/controller.nameLock
var controllerNameLock sync.Mutex

//go:linkname controllerNames sigs.k8s.io/controller-runtime/pkg/controller.usedNames
var controllerNames sets.Set[string]

// forgetControllerNames lets manager.New register Kumo's controllers again.
func forgetControllerNames() {
	controllerNameLock.Lock()
	defer controllerNameLock.Unlock()
	controllerNames = nil
}
