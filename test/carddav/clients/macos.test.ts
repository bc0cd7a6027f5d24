// macOS Contacts (AddressBookCore), replayed from the public request logs (fixtures/carddav/apple/,
// fixtures/carddav/ios/ and fixtures/carddav/macos/, sources in their READMEs): OPTIONS / while it
// adds the account, only the first book of the home, its card with REV and labels, and a group card.
import { APPLE_AGENTS, replayApple } from './apple-replay.ts';

replayApple({
  name: 'macOS', cards: 'macos', setupAgent: APPLE_AGENTS.macos, syncAgent: APPLE_AGENTS.macos, optionsRoot: true, booksShown: 'first', groupCard: 'card-group',
});
