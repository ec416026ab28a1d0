import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app/App'
import { preloadFirstPage } from './app/pages'
import { queryClient } from './app/query-client'
import './i18n'

preloadFirstPage(window.location.pathname, queryClient)

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
