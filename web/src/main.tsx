import '@mantine/core/styles.css';
import '@mantine/dates/styles.css';
import '@mantine/notifications/styles.css';
import { Anchor, createTheme, darken, NavLink, Notification, defaultVariantColorsResolver, parseThemeColor, type VariantColorsResolver, Modal, PasswordInput, Textarea, TextInput, MantineProvider, type CSSVariablesResolver } from '@mantine/core';
import { DatesProvider } from '@mantine/dates';
import { Notifications } from '@mantine/notifications';
import dayjs from 'dayjs';
import relativeTime from 'dayjs/plugin/relativeTime';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App';
import { ReauthProvider } from './components/ReauthProvider';
import { SessionProvider } from './session';

dayjs.extend(relativeTime);

// primaryShade 8 keeps white-on-blue text above WCAG AA contrast.
// Mantine's "light" variant (tinted background, coloured text) is below WCAG AA contrast for
// most colours: the text gets a darker shade of the colour.
const variantColorResolver: VariantColorsResolver = (input) => {
  const colors = defaultVariantColorsResolver(input);
  if (input.variant !== 'light') return colors;
  const parsed = parseThemeColor({ color: input.color || input.theme.primaryColor, theme: input.theme });
  const palette = parsed.isThemeColor ? input.theme.colors[parsed.color] : undefined;
  if (!palette) return colors;
  const amount = ['yellow', 'orange', 'lime'].includes(parsed.color) ? 0.5 : 0.25;
  const text = darken(palette[9]!, amount);
  return { ...colors, color: text, hoverColor: text };
};

// Links are underlined so they stand out from the text around them without relying on colour.
const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: 8,
  defaultRadius: 'sm',
  variantColorResolver,
  components: {
    Anchor: Anchor.extend({ defaultProps: { underline: 'always' } }),
    // Labels read exactly "Login", "Password", "Name"…: no asterisk appended to required fields.
    TextInput: TextInput.extend({ defaultProps: { withAsterisk: false } }),
    PasswordInput: PasswordInput.extend({ defaultProps: { withAsterisk: false } }),
    Textarea: Textarea.extend({ defaultProps: { withAsterisk: false } }),
    Notification: Notification.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Dismiss notification' } } }),
    NavLink: NavLink.extend({ defaultProps: { variant: 'filled' } }),
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close dialog' } } }),
  },
});

// Mantine's default "dimmed" grey is below 4.5:1 on white; gray.7 passes WCAG AA.
const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)', '--mantine-color-placeholder': 'var(--mantine-color-gray-7)' },
  dark: {},
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light" cssVariablesResolver={cssVariablesResolver}>
      <DatesProvider settings={{ firstDayOfWeek: 1, weekendDays: [] }}>
        <Notifications position="top-right" />
        <BrowserRouter>
          <SessionProvider>
            <ReauthProvider>
              <App />
            </ReauthProvider>
          </SessionProvider>
        </BrowserRouter>
      </DatesProvider>
    </MantineProvider>
  </StrictMode>,
);
