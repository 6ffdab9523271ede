package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the mapping files at paths (files, or directories whose *.yaml
// and *.yml files are read in name order) and compiles them into a Set.
// sourceNames are the configured source names that source: patterns must
// match; nil skips that check. Problems with the files come back as
// Problems, all at once.
func Load(paths []string, sourceNames []string) (*Set, error) {
	ps := &problems{}
	var specs []*mappingSpec
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			ps.add(p, pos{}, "%s", err.Error())
			continue
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				ps.add(f, pos{}, "reading mapping file: %s", unwrapPath(err))
				continue
			}
			specs = append(specs, parse(f, data, ps)...)
		}
	}
	return build(specs, sourceNames, ps)
}

// Parse compiles the mappings in data, read from a file called name; see Load.
func Parse(name string, data []byte, sourceNames []string) (*Set, error) {
	ps := &problems{}
	return build(parse(name, data, ps), sourceNames, ps)
}

// build compiles specs into a Set unless there are problems.
func build(specs []*mappingSpec, sourceNames []string, ps *problems) (*Set, error) {
	c := &compiler{ps: ps, sourceNames: sourceNames, set: &Set{}, defined: map[string]string{}}
	for _, m := range specs {
		c.mapping(m)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return c.set, nil
}

// expand lists the mapping files at p.
func expand(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("reading mappings: %s", unwrapPath(err))
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, fmt.Errorf("reading mapping directory: %s", unwrapPath(err))
	}
	var files []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, filepath.Join(p, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, errors.New("the folder holds no mapping file (*.yaml, *.yml): nothing would be written")
	}
	sort.Strings(files)
	return files, nil
}

// unwrapPath drops the path from a file system error; the problem names
// the file already.
func unwrapPath(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// parse decodes every document of a mapping file.
func parse(name string, data []byte, ps *problems) (specs []*mappingSpec) {
	defer func() {
		// The YAML parser has panicked on malformed input in the past; a
		// bad file must be a problem, never a crash.
		if r := recover(); r != nil {
			ps.add(name, pos{}, "invalid YAML: %v", r)
			specs = nil
		}
	}()
	before := len(ps.list)
	d := &decoder{file: name, ps: ps}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			ps.syntax(name, err)
			return nil
		}
		specs = append(specs, d.document(&doc)...)
	}
	if len(specs) == 0 && len(ps.list) == before {
		ps.add(name, pos{}, "holds no mapping")
	}
	return specs
}
