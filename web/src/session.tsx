import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, setCsrfToken, setUnauthorizedHandler, type Session, type User } from './api';

interface SessionState {
  /** undefined while loading. */
  status: 'loading' | 'setup' | 'signed-out' | 'signed-in';
  session?: Session;
  user?: User;
  /** Why the user was signed out, shown on the sign-in page. */
  notice?: string;
  signIn(login: string, password: string): Promise<void>;
  setup(input: { login: string; email: string; name?: string; password: string }): Promise<void>;
  signOut(): Promise<void>;
  refreshUser(): Promise<void>;
  expire(notice: string): void;
}

const Ctx = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The signed-in user (only inside the signed-in part of the console). */
export function useUser(): User {
  const s = useSession();
  if (!s.user) throw new Error('not signed in');
  return s.user;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<SessionState['status']>('loading');
  const [session, setSession] = useState<Session>();
  const [user, setUser] = useState<User>();
  const [notice, setNotice] = useState<string>();

  const adopt = useCallback(async (s: Session) => {
    setCsrfToken(s.csrfToken);
    setSession(s);
    setUser(s.user);
    setNotice(undefined);
    setStatus('signed-in');
  }, []);

  const expire = useCallback((why: string) => {
    setCsrfToken('');
    setSession(undefined);
    setUser(undefined);
    setNotice(why);
    setStatus('signed-out');
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => expire('Your session has ended. Sign in again.'));
    (async () => {
      try {
        const s = await api<Session>('GET', '/api/session');
        await adopt(s);
        return;
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 401) {
          // Fall through to the setup check: an error page would help nobody here.
        }
      }
      try {
        const setup = await api<{ needed: boolean }>('GET', '/api/setup');
        setStatus(setup.needed ? 'setup' : 'signed-out');
      } catch {
        setStatus('signed-out');
      }
    })();
  }, [adopt, expire]);

  const value: SessionState = {
    status,
    session,
    user,
    notice,
    expire,
    async signIn(login, password) {
      const s = await api<Session>('POST', '/api/session', { login, password });
      await adopt(s);
    },
    async setup(input) {
      const s = await api<Session>('POST', '/api/setup', input);
      if (s && typeof s === 'object' && 'csrfToken' in s) await adopt(s);
      else await adopt(await api<Session>('GET', '/api/session'));
    },
    async signOut() {
      try {
        await api<void>('DELETE', '/api/session');
      } finally {
        expire('You have signed out.');
      }
    },
    async refreshUser() {
      setUser(await api<User>('GET', '/api/user'));
    },
  };
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function userLogin(user: User | undefined): string {
  return user?.githubLogin ?? '';
}
