package main

import (
	"os"

	"github.com/berth-sh/berth/providers/install"
	"github.com/berth-sh/berth/workdir"
)

// workdir returns what berth remembers about the working directory, in
// its .berth or $BERTH_DATA_DIR (workdir.DataDir decides).
func (m *Meta) workdir() *workdir.Dir {
	return workdir.New(m.Dir, os.Getenv)
}

// pluginSearchDirs returns the plugin directories to search: flagDirs
// (init's -plugin-dir) or those the last init recorded, then
// $BERTH_PLUGIN_DIR and ~/.berth/plugins (install.SearchDirs).
func (m *Meta) pluginSearchDirs(flagDirs []string) ([]string, error) {
	dirs := flagDirs
	if len(dirs) == 0 {
		saved, err := m.workdir().PluginDirs()
		if err != nil {
			return nil, err
		}
		dirs = saved
	}
	return install.SearchDirs(m.Dir, dirs)
}
