package pki

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

const (
	dirMode  os.FileMode = 0o700
	fileMode os.FileMode = 0o600
)

// WriteFiles writes each file, named by a plain file name, into dir with
// mode 0600, creating dir with mode 0700 if needed. Each file is replaced
// atomically (a temporary file renamed over it), so a reader never sees a
// half-written key. A file whose content is already identical is left
// alone, so repeated calls do not touch mtimes or wake file watchers.
func WriteFiles(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("creating directory %s: %w", dir, err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)

	wrote := false
	for _, name := range names {
		if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
			return fmt.Errorf("writing %q in %s: not a plain file name", name, dir)
		}
		changed, err := writeFile(filepath.Join(dir, name), files[name])
		if err != nil {
			return err
		}
		wrote = wrote || changed
	}
	if wrote {
		if err := syncDir(dir); err != nil {
			return fmt.Errorf("syncing directory %s: %w", dir, err)
		}
	}
	return nil
}

// writeFile atomically replaces path with data unless it already holds
// data, and reports whether it wrote.
func writeFile(path string, data []byte) (bool, error) {
	if existing, err := os.ReadFile(path); err == nil && bytes.Equal(existing, data) {
		info, err := os.Stat(path)
		if err != nil {
			return false, fmt.Errorf("checking %s: %w", path, err)
		}
		if info.Mode().Perm() != fileMode {
			if err := os.Chmod(path, fileMode); err != nil {
				return false, fmt.Errorf("restricting permissions of %s: %w", path, err)
			}
		}
		return false, nil
	}

	// CreateTemp opens the file with mode 0600.
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			_ = os.Remove(tmpName)
		}
	}()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	committed = true
	return true, nil
}

// syncDir flushes dir's entries so that renames into it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
