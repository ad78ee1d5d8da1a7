package graph

// CachedResolvers returns root with each object type's resolver made once.
// The getters gqlgen writes into resolvers/*.resolvers.go (and rewrites on
// every generate) make a new one per call, and the generated code calls
// the getter for every resolver field of every object: on a page of 50
// episodes with their patients and diagnoses, a hundred allocations per
// request. The resolvers hold only the shared *Resolver, so one of each
// serves every request. A type added to the schema later is served by
// root's own getter until it is listed here.
func CachedResolvers(root ResolverRoot) ResolverRoot {
	return &cachedResolvers{
		ResolverRoot:      root,
		episode:           root.Episode(),
		episodeConnection: root.EpisodeConnection(),
		patient:           root.Patient(),
		patientConnection: root.PatientConnection(),
		query:             root.Query(),
		spell:             root.Spell(),
		spellConnection:   root.SpellConnection(),
	}
}

type cachedResolvers struct {
	ResolverRoot
	episode           EpisodeResolver
	episodeConnection EpisodeConnectionResolver
	patient           PatientResolver
	patientConnection PatientConnectionResolver
	query             QueryResolver
	spell             SpellResolver
	spellConnection   SpellConnectionResolver
}

func (c *cachedResolvers) Episode() EpisodeResolver                     { return c.episode }
func (c *cachedResolvers) EpisodeConnection() EpisodeConnectionResolver { return c.episodeConnection }
func (c *cachedResolvers) Patient() PatientResolver                     { return c.patient }
func (c *cachedResolvers) PatientConnection() PatientConnectionResolver { return c.patientConnection }
func (c *cachedResolvers) Query() QueryResolver                         { return c.query }
func (c *cachedResolvers) Spell() SpellResolver                         { return c.spell }
func (c *cachedResolvers) SpellConnection() SpellConnectionResolver     { return c.spellConnection }
