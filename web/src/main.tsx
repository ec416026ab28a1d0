import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app/App'
import { preloadFirstPage } from './app/pages'
import { queryClient } from './app/query-client'
import './i18n'

// The first render waits for the page's chunk (see preloadFirstPage): until /api/auth/me answers it
// would render nothing anyway, and the two arrive together.
void preloadFirstPage(window.location.pathname, queryClient).then(() =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
)
