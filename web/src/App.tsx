import { ErrorView, Loading } from './components/Feedback';
import { Layout } from './components/Layout';
import { LoginPage } from './features/auth/LoginPage';
import { useMe } from './features/auth/session';
import { useEventStream } from './lib/events';

/** Every page needs a session: without one the login page shows at whatever URL was asked for. */
export function App() {
  const me = useMe();
  const stream = useEventStream(Boolean(me.data));
  if (me.isPending) return <Loading what="your session" />;
  if (me.isError) return <ErrorView error={me.error} what="your session" />;
  if (!me.data) return <LoginPage />;
  return <Layout me={me.data} stream={stream} />;
}
