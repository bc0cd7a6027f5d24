// iPhone and iPad Contacts (accountsd sets the account up, dataaccessd syncs), replayed from the
// public request logs (fixtures/carddav/apple/ and fixtures/carddav/ios/, sources in their READMEs),
// with a card as iOS writes it: vCard 3.0, item-grouped X-ABLabel labels, a JPEG photo.
import { APPLE_AGENTS, replayApple } from './apple-replay.ts';

replayApple({
  name: 'iOS', cards: 'ios', setupAgent: APPLE_AGENTS.iosSetup, syncAgent: APPLE_AGENTS.ios, optionsRoot: false, booksShown: 'all',
});
