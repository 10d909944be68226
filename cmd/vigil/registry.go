package main

import (
	"context"
	"fmt"
	"log/slog"

	"vigil/config"
	"vigil/registry"
	"vigil/store"
)

// seedRegistry brings the config's facilities and contacts into the store before anything reads them, and
// says what it did: which facilities keep the edits people made through the API instead of the file.
func seedRegistry(st *store.Store, cfg *config.Config, log *slog.Logger) error {
	rep, err := registry.Seed(context.Background(), st, cfg)
	if err != nil {
		return fmt.Errorf("seed the facility registry: %w", err)
	}
	log.Info("facility registry seeded", "created", rep.Created, "updated", rep.Updated,
		"from_cameras", rep.FromCameras)
	if len(rep.Kept) > 0 {
		log.Info("facilities edited through the API or an import keep their edits; the config's version is not applied",
			"facilities", rep.Kept)
	}
	return nil
}
