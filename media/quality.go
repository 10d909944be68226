package media

// Quality picks one of a camera's streams for a live viewer.
type Quality string

const (
	// MainStream is the camera's main stream: the one recorded, for the single view.
	MainStream Quality = "main"
	// Substream is the camera's smaller second stream, for the grid, connected only while someone
	// watches it. A camera without one serves its main stream instead.
	Substream Quality = "sub"
)
